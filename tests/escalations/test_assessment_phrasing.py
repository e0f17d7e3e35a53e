"""Another session's logged step becomes a next step to try here: imperative, without its client."""

from escalations.assessment.phrasing import deidentify, imperative
from escalations.assessment.vendors import conflicts, named


def test_logged_steps_become_instructions_clause_by_clause():
    assert imperative("Restarted the Print Spooler service") == "Restart the Print Spooler service"
    assert imperative("Stopped Print Spooler, deleted the files in the spool folder, started it again") == \
        "Stop Print Spooler, delete the files in the spool folder, start it again"
    assert imperative("Reset Windows Update components (stopped wuauserv, renamed catroot2)") == \
        "Reset Windows Update components (stop wuauserv, rename catroot2)"
    assert imperative("Had the user change the home router LAN") == "Have the user change the home router LAN"
    # Already an instruction, or a command as typed: left alone; nouns after "and" are not verbs.
    assert imperative("Clear the cache and temp files") == "Clear the cache and temp files"
    assert imperative("onedrive.exe /reset and signed back in") == "onedrive.exe /reset and sign back in"


def test_the_other_clients_names_hosts_addresses_and_people_are_not_copied():
    assert deidentify("On print server PS01: net stop spooler") == "On the print server: net stop spooler"
    assert deidentify("Restarted DNS on DC-02 and TS02") == \
        "Restarted DNS on the domain controller and the terminal server"
    assert deidentify("Mapped \\\\LUM-FS01\\projects again", client="Lumen Architects") == \
        "Mapped the file share (projects) again"
    assert deidentify("Joined the laptops to OAK-CORP", client="Oakhurst Accounting") == \
        "Joined the laptops to the client's"
    assert "Harbor" not in deidentify("Moved Harbor & Finch to the new queue", client="Harbor & Finch LLP")
    assert deidentify("Pinged 10.1.1.20, then 8.8.8.8") == "Pinged the device's IP address, then 8.8.8.8"
    assert deidentify("Set the LAN to 192.168.50.0/24") == "Set the LAN to a different subnet"
    assert deidentify("Mailed bob@harbor.test from Sarah's PC") == "Mailed the user's address from the user's PC"
    # Model numbers are not host names.
    assert deidentify("Installed the HP M404 PCL-6 driver on the ZT410") == \
        "Installed the HP M404 PCL-6 driver on the ZT410"


def test_a_fix_for_another_vendor_conflicts_only_when_the_problem_names_one():
    assert named("Canon imageRUNNER jobs stuck") == {"canon"}
    assert conflicts({"canon"}, "Replaced the HP Universal driver")
    assert not conflicts({"canon"}, "Cleared the spool folder")
    assert not conflicts(set(), "Replaced the HP Universal driver")
    assert not conflicts({"fortinet"}, "Raised the DPD retry count on the FortiGate")

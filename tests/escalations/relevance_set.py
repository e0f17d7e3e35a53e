"""The relevance set of the builtin assessment, on the demo data (`seed_demo`, Acme's history).

Each case is a new escalation written the way a technician would type it, for another client than
the expected session's, in other words than the session's own title, with the demo key(s) of the
resolved session(s) an engineer would want to see first. `UNRELATED` are problems that no resolved
session of Acme is about: the honest answer is "no close match".

Written from the demo data before tuning (docs/assessment.md, "Relevance"); when a case fails, fix
the ranking, not the case.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    title: str
    problem: str
    expected: tuple[str, ...] = ()  # demo keys; empty: no close match is the right answer


RELATED = (
    Case("Spooler keeps stopping on the accounts PC",
         "Print Spooler service crashes every time the accounts team print to their HP LaserJet; jobs stay "
         "stuck in the queue and the printer then shows offline.",
         ("spooler-hp-universal-brightwater",)),
    Case("Nobody can print, one huge job blocking the queue",
         "The whole office is unable to print to the Ricoh. The print server queue has a 150 page job at "
         "the top that never completes and everything else waits behind it.",
         ("spooler-queue-stuck-harbor",)),
    Case("Canon copier: print jobs stuck, spooler stops",
         "Jobs sent to the Canon imageRUNNER sit in the print queue and the Print Spooler service stops; "
         "after restarting it the queue is stuck again.",
         ("spooler-queue-stuck-harbor",)),
    Case("Printer offline on every workstation after new router",
         "Since the ISP swapped the router, the Brother printer shows 'offline' on all PCs. It still copies "
         "fine from its own panel.",
         ("printer-offline-wsd-northside",)),
    Case("Copier scan to email fails with error 801",
         "Scanning to email from the copier stopped working this week, the panel shows send error #801.",
         ("scan-to-email-oakhurst",)),
    Case("Outlook password prompt loop since move to Microsoft 365",
         "After the mailbox migration to M365, Outlook keeps popping up the sign-in window every few "
         "minutes. Webmail works fine.",
         ("outlook-loop-credman-brightwater", "outlook-aad-broker-harbor")),
    Case("Teams and Outlook: Something went wrong [1001]",
         "User can't sign in to Teams or Outlook; the sign-in window loops and ends with error 1001.",
         ("outlook-aad-broker-harbor",)),
    Case("Shared mailbox doesn't appear in Outlook",
         "We gave the user full access to the info@ shared mailbox but it isn't showing in her Outlook.",
         ("shared-mailbox-missing-meridian",)),
    Case("Outlook hangs on Processing at startup",
         "Outlook never gets past the 'Processing' screen when it opens in the morning.",
         ("ost-corrupt-cobalt",)),
    Case("FortiClient VPN disconnects every few minutes",
         "Remote worker's FortiClient VPN tunnel drops every 5 minutes when working from home.",
         ("vpn-forticlient-mtu-meridian",)),
    Case("VPN connected but can't reach the file server",
         "GlobalProtect shows connected, but the user can't open the file server share or ping any internal "
         "address.",
         ("vpn-globalprotect-cobalt",)),
    Case("Websites won't load, DNS failing on half the PCs",
         "Several PCs get DNS_PROBE_FINISHED_NO_INTERNET in Chrome, but pinging 8.8.8.8 works.",
         ("dns-dhcp-scope-pinecrest",)),
    Case("Laptop keeps dropping Wi-Fi",
         "One user's laptop loses the wireless connection several times an hour; the other laptops in the "
         "office stay connected.",
         ("wifi-power-mgmt-harbor",)),
    Case("User has a new phone, can't approve MFA",
         "User replaced her phone and can no longer approve Microsoft Authenticator sign-in requests.",
         ("mfa-new-phone-meridian",)),
    Case("Account locks out several times a day after password change",
         "Since changing her password on Monday the user's AD account keeps getting locked out during the "
         "day.",
         ("lockout-activesync-brightwater", "password-expiry-mapped-creds-redline")),
    Case("C: drive almost full, low disk space warnings",
         "Workstation has under 1 GB free on C:, applications crash and Windows Update fails.",
         ("disk-full-winsxs-oakhurst",)),
    Case("BitLocker recovery key prompt after updates",
         "Laptop went to the BitLocker recovery screen after last night's BIOS and Windows updates.",
         ("bitlocker-bios-update-harbor",)),
    Case("Monitors on the Dell dock show no signal",
         "Both external monitors connected to the WD19 docking station are not detected since Windows "
         "updated.",
         ("docking-monitors-redline",)),
    Case("Windows Update stuck downloading at 0%",
         "Feature update has been stuck at 'Downloading 0%' for days and RMM patch jobs fail.",
         ("windows-update-stuck-oakhurst",)),
    Case("OneDrive stuck processing changes",
         "OneDrive has shown 'Processing changes' since yesterday and new files never upload.",
         ("onedrive-processing-changes-cobalt",)),
    Case("Excel workbook says locked for editing by a user who is out",
         "Shared Excel file on the server reports it is locked for editing by a colleague who isn't in "
         "today.",
         ("excel-locked-for-editing-oakhurst",)),
    Case("QuickBooks H202 error in multi-user mode",
         "Staff get error H202 opening the QuickBooks company file from their PCs; it opens on the server.",
         ("quickbooks-multiuser-oakhurst",)),
    Case("RDP authentication error from home",
         "Remote Desktop to the office PC fails with 'An authentication error has occurred. The function "
         "requested is not supported'.",
         ("rdp-nla-error-saltmarsh",)),
    Case("Our emails land in customers' spam",
         "Customers report our invoices go to junk since we started sending them from the new billing "
         "platform.",
         ("email-junk-spf-cobalt",)),
    Case("Domain logon fails: time difference between client and server",
         "Two PCs can't log on to the domain with 'There is a time difference between the client and server'.",
         ("time-skew-kerberos-northside",)),
    Case("Teams shows a white screen and never loads",
         "The new Teams app opens to a blank white window and stays there.",
         ("teams-cache-pinecrest",)),
)

UNRELATED = (
    Case("Shared calendar crash",
         "Outlook crashes when the user opens the shared calendar of the sales team."),
    Case("Label maker prints blank labels",
         "The Dymo LabelWriter at reception feeds labels but nothing is printed on them."),
    Case("Conference room TV won't mirror iPad",
         "AirPlay from the iPad to the Apple TV in the boardroom shows the device but never connects."),
    Case("Barcode scanner types wrong characters",
         "The handheld barcode scanner enters scrambled characters into the stock system since the keyboard "
         "layout changed."),
    Case("Adobe Acrobat license expired message",
         "Acrobat Pro shows 'Your subscription has expired' although the licence was renewed last month."),
    Case("Security camera recorder lost its recordings",
         "The NVR for the warehouse cameras shows no recordings for the last three days."),
)

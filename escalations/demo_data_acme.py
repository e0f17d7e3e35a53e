"""Acme MSP's resolved history, part 1: printing, Outlook/M365, network, identity.

Written the way technicians type, because the AI assessment finds similar past sessions by
full-text similarity ("spooler", "print queue stuck", "printer offline", ...). The last step of
each session is the fix. Part 2 is `demo_data_acme_more.py`.
"""

from escalations.demo_data import DemoEscalation as E
from escalations.demo_data import DemoSession as S
from escalations.demo_data import I, N, W

SPOOL = "C:\\Windows\\System32\\spool\\PRINTERS"

PRINTING = (
    S(key="spooler-hp-universal-brightwater",
      title="Print spooler crashes every time front desk prints",
      problem="Brightwater front desk: Print Spooler service crashes whenever anyone prints to the HP LaserJet "
              "M404. Print queue fills up with stuck jobs, printer shows offline on every PC afterwards.",
      client="Brightwater Dental",
      steps=(
          ("Restarted the Print Spooler service", "Came back, crashed again on the next job. Event 7031 in the "
           "System log", N),
          ("Tried to cancel the stuck jobs in the print queue", "14 jobs stuck in 'Deleting', can't remove them", I),
          (f"Stopped the spooler, cleared {SPOOL}, started it again", "Queue empty and a test page printed, but "
           "the spooler crashed again 20 minutes later", N),
          (f"Cleared {SPOOL} again, removed the HP Universal Printing PCL 6 driver in printmanagement.msc, "
           "installed the model-specific HP M404 PCL-6 driver, restarted the Print Spooler",
           "30 pages printed from 3 PCs, spooler stable for 2 hours", W),
      ),
      resolution=f"Cleared {SPOOL} and restarted the Print Spooler service; removed the faulty HP Universal "
                 "Printing PCL 6 driver and replaced it with the model-specific M404 driver. Stable since.",
      escalation=E("senior", "Spooler keeps crashing even after clearing the spool folder. Think it's the "
                   "driver but the front desk is live, want a second pair of eyes.", 3, 6, 2),
      messages=((0, "user", "Spooler dies every time they print to the M404, queue full of stuck jobs"),
                (0, "assistant", "Check Event ID 7031/1000 for spoolsv.exe and the faulting module; a crashing "
                              "printer driver is the usual cause. Stop the spooler before clearing the spool "
                              "folder."))),
    S(key="spooler-queue-stuck-harbor",
      title="Print queue stuck, nobody can print to the Ricoh",
      problem="Whole office at Harbor & Finch can't print to the Ricoh IM C3000. Print queue on the print server "
              "shows a 200-page job at the top that never finishes; everything else waits behind it.",
      client="Harbor & Finch LLP",
      steps=(
          ("Power-cycled the Ricoh", "Printer online on the panel, queue still stuck", N),
          ("Pinged the printer and opened its web page", "Responds fine, no errors on the printer", I),
          (f"On print server PS01: net stop spooler, deleted everything in {SPOOL}, net start spooler",
           "Queue drained, jobs printing again", W),
      ),
      resolution=f"A corrupt 200-page PDF job jammed the print queue. Stopped the Print Spooler on PS01, "
                 f"cleared {SPOOL}, restarted the spooler. Asked the user to print the PDF in smaller ranges."),
    S(key="printer-offline-wsd-northside",
      title="Printer shows offline on all PCs",
      problem="Northside Vet: the Brother MFC-L8900 shows 'Printer offline' on all workstations since the "
              "router was replaced. Copying on the printer itself works.",
      client="Northside Veterinary Clinic",
      steps=(
          ("Restarted the Print Spooler on two PCs", "Still offline", N),
          ("Checked the printer port", "WSD port pointing at the old IP; the printer got a new DHCP address "
           "from the new router", I),
          ("Created a DHCP reservation, added a Standard TCP/IP port to that IP, removed the WSD port and "
           "switched the printer to the new port via GPO", "Printer online on all PCs, test pages OK", W),
      ),
      resolution="Printer changed IP after the router swap and the WSD port went stale. Reserved the IP and "
                 "moved every PC to a Standard TCP/IP port.",
      escalation=E("senior", "Printer offline everywhere since the router swap; need someone who can change "
                   "the port on all PCs by GPO.", 2, 3, 2),
      messages=((0, "user", "Printer offline on every PC at Northside since the router swap, copying works"),
                (0, "assistant", "If the printer uses a WSD port it may have lost its address after the router "
                                 "change. Compare the port in Printer properties with the IP on the printer's "
                                 "panel."))),
    S(key="spooler-kyocera-pinecrest",
      title="Spooler service stops after Windows update",
      problem="Pinecrest billing PC: Print Spooler stops by itself after this month's cumulative update. "
              "Print jobs to the Kyocera TASKalfa get stuck in the queue, then the printer goes offline.",
      client="Pinecrest Family Practice",
      steps=(
          ("sfc /scannow", "No integrity violations", N),
          ("Application log, Event 1000 for spoolsv.exe", "Faulting module is from the Kyocera KX driver", I),
          (f"Removed the Kyocera KX driver package, cleared {SPOOL}, installed the current KX driver "
           "from Kyocera, restarted the Print Spooler", "No crashes for the rest of the day", W),
      ),
      resolution=f"Old Kyocera KX driver crashed spoolsv.exe after the update. Removed it, cleared {SPOOL}, "
                 "installed the current KX driver and restarted the spooler.",
      escalation=E("senior2", "Spooler crash points at the Kyocera driver, not sure if removing it breaks "
                   "their billing forms tray settings.", 2, 11, 4)),
    S(key="scan-to-email-oakhurst",
      title="Scan to email stopped working on copier",
      problem="Oakhurst's Canon copier can't scan to email since Monday: 'Send error #801'.",
      client="Oakhurst Accounting",
      steps=(
          ("Re-entered the SMTP password on the copier", "Same #801", N),
          ("Checked M365 message trace and the account's sign-in logs", "Basic auth SMTP blocked for the scanner "
           "account", I),
          ("Pointed the copier at the SMTP relay connector (port 25, IP-restricted) instead of smtp.office365.com",
           "Test scan arrived", W),
      ),
      resolution="Microsoft blocked basic SMTP AUTH for the scanner mailbox. Moved the copier to an IP-restricted "
                 "M365 relay connector."),
)

OUTLOOK_M365 = (
    S(key="outlook-loop-credman-brightwater",
      title="Outlook keeps asking for password after M365 migration",
      problem="Since the mailbox moved to Microsoft 365 the user's Outlook shows the sign-in prompt every few "
              "minutes; entering the password works for a bit, then it loops again. OWA is fine.",
      client="Brightwater Dental",
      steps=(
          ("Cleared the MicrosoftOffice16 entries in Credential Manager and restarted Outlook",
           "Prompted again after about 10 minutes", N),
          ("Created a new Outlook profile", "Same sign-in loop", N),
          ("Checked HKCU\\Software\\Microsoft\\Exchange for old registry keys", "Found AlwaysUseMSOAuthForAutoDiscover "
           "missing and an old on-prem autodiscover SRV record still published", I),
          ("Removed the old autodiscover record from DNS, flushed DNS, signed out of Office and back in",
           "Outlook connected with modern auth, no more prompts", W),
      ),
      resolution="Outlook was still finding the old on-prem Exchange via autodiscover and falling back to basic "
                 "auth, so it looped on the password prompt. Removed the stale autodiscover DNS record.",
      escalation=E("senior", "Outlook password loop, new profile and Credential Manager didn't help.", 2, 4, 3),
      messages=((0, "user", "Outlook sign-in loop after the M365 move, OWA works"),
                (0, "assistant", "Common causes: stale cached credentials, autodiscover still finding on-prem "
                              "Exchange, or a broken AAD broker plugin. Check autodiscover first with the "
                              "Test E-mail AutoConfiguration tool."))),
    S(key="outlook-aad-broker-harbor",
      title="Outlook and Teams sign-in loop, 'Something went wrong 1001'",
      problem="Partner at Harbor & Finch can't sign in to Outlook or Teams: prompt loops and ends with "
              "'Something went wrong [1001]'.",
      client="Harbor & Finch LLP",
      steps=(
          ("Signed out of all Office apps and cleared Credential Manager", "Same 1001 error", N),
          ("Checked Settings > Accounts > Access work or school", "Work account shows an error state", I),
          ("Re-registered the Microsoft.AAD.BrokerPlugin package with PowerShell and re-added the work account",
           "Outlook and Teams signed in", W),
      ),
      resolution="The AAD Broker Plugin (WAM) was broken. Re-registered the package and re-added the work "
                 "account; Outlook and Teams signed in."),
    S(key="shared-mailbox-missing-meridian",
      title="Shared mailbox not showing up in Outlook",
      problem="User was given Full Access to the leasing@ shared mailbox yesterday but it doesn't appear in "
              "Outlook.",
      client="Meridian Property Group",
      steps=(
          ("Restarted Outlook", "Not there", N),
          ("Checked permissions in Exchange admin", "Full Access granted via a group, so automapping doesn't apply",
           I),
          ("Granted Full Access to the user directly with automapping on", "Mailbox appeared after Outlook restart",
           W),
      ),
      resolution="Automapping doesn't work for group-granted Full Access. Granted it to the user directly."),
    S(key="calendar-permissions-lumen",
      title="Assistant can't edit manager's calendar",
      problem="Assistant at Lumen Architects can see the principal's calendar but gets 'You don't have "
              "permission' when creating meetings on it.",
      client="Lumen Architects",
      owner="senior2",
      steps=(
          ("Checked calendar folder permissions with Get-MailboxFolderPermission", "Assistant has Reviewer", I),
          ("Set the assistant to Editor with delegate access via Set-MailboxFolderPermission",
           "Assistant can create and edit meetings", W),
      ),
      resolution="Assistant only had Reviewer on the calendar. Set Editor with delegate access."),
    S(key="ost-corrupt-cobalt",
      title="Outlook stuck on 'Processing' and won't open",
      problem="Dispatcher's Outlook hangs at the 'Processing' splash screen every morning at Cobalt Freight.",
      client="Cobalt Freight",
      steps=(
          ("Started Outlook in safe mode (outlook.exe /safe)", "Same hang", N),
          ("Ran Outlook with /resetnavpane", "No change", N),
          ("Renamed the 48 GB OST file and let Outlook rebuild it, reduced cached mode to 6 months",
           "Outlook opens in 20 seconds", W),
      ),
      resolution="Corrupt oversized OST file. Rebuilt it and set Cached Exchange Mode to 6 months."),
)

NETWORK = (
    S(key="vpn-forticlient-mtu-meridian",
      title="VPN drops every few minutes",
      problem="FortiClient SSL VPN disconnects every 5–10 minutes for a remote property manager, only from home.",
      client="Meridian Property Group",
      steps=(
          ("Reinstalled FortiClient", "Still drops", N),
          ("Checked the FortiGate VPN event log", "Disconnects with 'DPD timeout'; user's ISP is Starlink", I),
          ("Lowered the tunnel MTU to 1350 and raised the DPD retry count on the FortiGate",
           "Connected for a full day without a drop", W),
      ),
      resolution="Packet loss on the user's satellite link hit the DPD timeout. Lowered MTU to 1350 and made DPD "
                 "more tolerant.",
      escalation=E("senior2", "VPN keeps dropping from home, reinstall didn't help and I don't have FortiGate "
                   "access.", 1, 9, 5),
      messages=((0, "user", "FortiClient keeps dropping for the Meridian PM, only at home. Reinstalled already."),
                (0, "assistant", "Drops from one location usually point at the line (packet loss, MTU). The "
                                 "FortiGate's VPN event log shows whether it is a DPD or an idle timeout."),
                (1, "user", "Took this one: DPD timeouts and she's on Starlink. Lowering MTU and loosening DPD."))),
    S(key="vpn-globalprotect-cobalt",
      title="GlobalProtect VPN connects but no access to file server",
      problem="Remote accountant connects to GlobalProtect fine but can't reach \\\\fs01 or any internal IPs.",
      client="Cobalt Freight",
      steps=(
          ("Reconnected GlobalProtect and rebooted", "Still no internal access", N),
          ("route print / ipconfig", "Home network is 10.0.0.0/24, same as the office LAN", I),
          ("Had the user change the home router LAN to 192.168.50.0/24", "File server and mapped drives work", W),
      ),
      resolution="Home LAN subnet overlapped the office subnet. Changed the home router's range.",
      escalation=E("senior", "VPN is up but nothing internal answers; routes look odd.", 1, 7, 2)),
    S(key="vpn-sonicwall-password-saltmarsh",
      title="NetExtender VPN says invalid credentials",
      problem="Brewery manager can't log into SonicWall NetExtender: 'Login failed - incorrect username/password'.",
      client="Saltmarsh Brewing Co.",
      steps=(
          ("Reset the user's password in AD", "Still invalid credentials", N),
          ("Checked the SonicWall LDAP settings", "LDAP bind account password expired", I),
          ("Reset the LDAP bind service account password, set it to never expire, updated the SonicWall",
           "VPN login works for everyone", W),
      ),
      resolution="The SonicWall's LDAP bind account password expired. Reset it and marked the service account "
                 "password as non-expiring."),
    S(key="dns-dhcp-scope-pinecrest",
      title="Websites not loading, DNS resolution failing",
      problem="Half the PCs at Pinecrest can't open websites: 'DNS_PROBE_FINISHED_NO_INTERNET'. Ping 8.8.8.8 works.",
      client="Pinecrest Family Practice",
      steps=(
          ("ipconfig /flushdns and /renew on an affected PC", "Still no name resolution", N),
          ("nslookup google.com", "Times out against 192.168.1.10 — the old server, decommissioned last week", I),
          ("Updated the DHCP scope DNS option to the new DC and the firewall, renewed leases",
           "All PCs resolve", W),
      ),
      resolution="DHCP still handed out the decommissioned server as DNS. Fixed option 006 and renewed leases."),
    S(key="dns-missing-a-record-lumen",
      title="Can't reach file server by name",
      problem="Users can reach \\\\10.1.1.20 but not \\\\LUM-FS01; mapped drives fail with 'network path not found'.",
      client="Lumen Architects",
      steps=(
          ("ipconfig /registerdns on the file server", "A record still missing", I),
          ("Checked DNS scavenging settings", "Scavenging deleted the server's static record; the NIC had "
           "'Register this connection's addresses in DNS' unticked", I),
          ("Added a static A record and ticked DNS registration on the NIC", "Name resolves, drives map", W),
      ),
      resolution="DNS scavenging removed the file server's A record and it wasn't re-registering. Static record "
                 "added and registration enabled.",
      escalation=E("senior", "File server name doesn't resolve and registerdns doesn't fix it. DNS "
                   "server-side issue?", 1, 3, 2)),
    S(key="dns-hosts-file-redline",
      title="One PC can't open the parts supplier portal",
      problem="Only the front counter PC at Redline gets a certificate error / wrong site for the parts portal.",
      client="Redline Auto Body",
      steps=(
          ("Cleared browser cache", "Same", N),
          ("nslookup vs ping of the portal name", "nslookup correct, ping resolves to an old IP", I),
          ("Removed a stale entry from C:\\Windows\\System32\\drivers\\etc\\hosts, flushed DNS", "Portal loads", W),
      ),
      resolution="An old hosts-file entry pointed the portal at a retired IP. Removed it."),
    S(key="wifi-power-mgmt-harbor",
      title="Laptop Wi-Fi keeps disconnecting",
      problem="Associate's laptop drops Wi-Fi several times an hour; other laptops are fine.",
      client="Harbor & Finch LLP",
      steps=(
          ("Forgot and re-joined the network", "Still drops", N),
          ("Updated the Intel Wi-Fi driver", "Fewer drops but still happens", I),
          ("Disabled 'Allow the computer to turn off this device to save power' and set the adapter's roaming "
           "aggressiveness to medium", "No drops for a week", W),
      ),
      resolution="Power management was switching off the Wi-Fi adapter. Disabled it and tuned roaming."),
    S(key="wifi-8021x-cert-oakhurst",
      title="No laptops can join corporate Wi-Fi",
      problem="All Oakhurst laptops fail to connect to OAK-CORP this morning: 'Can't connect to this network'.",
      client="Oakhurst Accounting",
      steps=(
          ("Rebooted the access points", "Same", N),
          ("Checked NPS logs", "Reason code 265: the NPS server certificate expired overnight", I),
          ("Renewed the NPS server certificate from the internal CA and selected it in the PEAP policy",
           "Laptops connect", W),
      ),
      resolution="The NPS (RADIUS) server certificate expired. Renewed it and bound it to the PEAP policy.",
      escalation=E("senior2", "Whole office off Wi-Fi, NPS shows cert errors — need someone with CA access.",
                   2, 2, 1)),
)

IDENTITY = (
    S(key="mfa-new-phone-meridian",
      title="MFA reset for user with new phone",
      problem="User got a new phone and can't approve Authenticator prompts; locked out of email.",
      client="Meridian Property Group",
      steps=(
          ("Verified the user via callback to their manager", "Verified", I),
          ("Revoked MFA sessions and required re-registration in Entra ID, issued a Temporary Access Pass",
           "User set up Authenticator on the new phone", W),
      ),
      resolution="Identity verified; required MFA re-registration and issued a TAP."),
    S(key="mfa-no-push-cobalt",
      title="Authenticator push notifications not arriving",
      problem="Driver manager gets no Authenticator push notifications; has to type the code every time.",
      client="Cobalt Freight",
      steps=(
          ("Checked phone notification settings", "Allowed", I),
          ("Removed and re-added the account in Authenticator", "Pushes still don't arrive", N),
          ("Turned off battery optimisation for Authenticator on the Android phone", "Pushes arrive instantly", W),
      ),
      resolution="Android battery optimisation was killing Authenticator's notifications. Exempted the app."),
    S(key="lockout-activesync-brightwater",
      title="User account locking out repeatedly",
      problem="Hygienist's account locks out several times a day since her password change.",
      client="Brightwater Dental",
      steps=(
          ("Unlocked the account and reset the password", "Locked again within an hour", N),
          ("Checked 4740 events on the PDC", "Lockouts come from Exchange ActiveSync", I),
          ("Removed and re-added the mail account on her old iPad that still had the old password",
           "No lockouts since", W),
      ),
      resolution="An old iPad kept trying the old password over ActiveSync. Updated the account on the iPad.",
      escalation=E("senior", "Lockouts keep coming back, can't find the source device.", 1, 13, 6),
      messages=((0, "user", "Lockouts come back within the hour after every unlock. How do I find the device?"),
                (0, "assistant", "Look for event 4740 on the PDC emulator: Caller Computer Name is the source. "
                                 "If it points at Exchange, it's usually a phone or tablet on ActiveSync with "
                                 "the old password."))),
    S(key="password-expired-vpn-saltmarsh",
      title="Password expired while working remotely",
      problem="Remote sales rep's password expired; can't log into the VPN to change it.",
      client="Saltmarsh Brewing Co.",
      steps=(
          ("Tried changing it at the Windows login screen", "Can't reach a DC off-network", N),
          ("Reset the password in AD with 'change at next logon' off, user connected VPN, then locked and "
           "unlocked to update cached credentials", "Signed in with the new password", W),
      ),
      resolution="Reset the password centrally, user connected the VPN and refreshed cached credentials."),
    S(key="password-expiry-mapped-creds-redline",
      title="Account lockout after password expiry",
      problem="Office manager's account locks out every morning since her password expired Friday.",
      client="Redline Auto Body",
      steps=(
          ("Checked lockout source with the Account Lockout Status tool", "Her own PC", I),
          ("Cleared saved Windows credentials for \\\\redline-srv in Credential Manager and remapped the drive",
           "No more lockouts", W),
      ),
      resolution="Stored credentials for the mapped drive used the old password. Cleared them and remapped."),
    S(key="new-user-license-lumen",
      title="New hire can't access email",
      problem="New designer started today; Outlook says no mailbox.",
      client="Lumen Architects",
      steps=(
          ("Checked the user in M365 admin", "No licence assigned", I),
          ("Assigned Microsoft 365 Business Premium and waited for provisioning", "Mailbox ready, Outlook set up", W),
      ),
      resolution="Onboarding missed the licence. Assigned Business Premium; mailbox provisioned in 10 minutes."),
)

PART_1 = PRINTING + OUTLOOK_M365 + NETWORK + IDENTITY

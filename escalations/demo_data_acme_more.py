"""Acme MSP's resolved history, part 2: endpoints, storage, sync, collaboration, line-of-business apps.

Same conventions as part 1 (`demo_data_acme.py`): technicians' own words, last step is the fix.
"""

from escalations.demo_data import DemoEscalation as E
from escalations.demo_data import DemoSession as S
from escalations.demo_data import I, N, W

ENDPOINTS = (
    S(key="disk-full-winsxs-oakhurst",
      title="C: drive full, PC says low disk space",
      problem="Bookkeeper's PC at Oakhurst has 200 MB free on C:, apps crashing and Windows Update failing.",
      client="Oakhurst Accounting",
      steps=(
          ("Emptied the recycle bin and %TEMP%", "Freed 600 MB", N),
          ("Ran WizTree", "41 GB in C:\\Windows\\SoftwareDistribution\\Download and a 30 GB hiberfil/pagefile", I),
          ("Stopped wuauserv, cleared SoftwareDistribution\\Download, ran DISM /StartComponentCleanup, "
           "powercfg /h off", "C: now 58 GB free", W),
      ),
      resolution="Windows Update cache and hibernation file filled the disk. Cleared the cache, cleaned up "
                 "WinSxS, disabled hibernation on the desktop.",
      messages=((0, "user", "Only 600 MB back from temp, what's eating C:?"),
                (0, "assistant", "Run WizTree or TreeSize as admin. Usual suspects: SoftwareDistribution\\Download, "
                                 "WinSxS, hiberfil.sys, pagefile.sys and large OST files."))),
    S(key="disk-full-ost-cobalt",
      title="Laptop out of disk space",
      problem="Dispatcher laptop (128 GB SSD) full; Outlook and Chrome failing to save.",
      client="Cobalt Freight",
      steps=(
          ("Disk Cleanup with system files", "Freed 3 GB, not enough", N),
          ("Checked user folders", "Outlook OST 38 GB, Downloads 22 GB of old manifests", I),
          ("Set Outlook cached mode to 3 months, rebuilt the OST, moved old manifests to SharePoint",
           "61 GB free", W),
      ),
      resolution="Oversized OST and old downloads. Reduced the cached mail window and moved files to SharePoint."),
    S(key="slow-pc-hdd-pinecrest",
      title="PC extremely slow, takes 10 minutes to boot",
      problem="Nurse station PC at Pinecrest is painfully slow; Task Manager shows disk at 100%.",
      client="Pinecrest Family Practice",
      steps=(
          ("Disabled startup apps in Task Manager", "Still 100% disk", N),
          ("Checked SMART with CrystalDiskInfo", "Spinning HDD in 'Caution': reallocated sectors climbing", I),
          ("Cloned the HDD to a 500 GB SSD with Macrium and swapped it", "Boots in 25 seconds", W),
      ),
      resolution="Failing HDD. Cloned to an SSD; flagged the other two HDD-based PCs for replacement.",
      escalation=E("senior2", "Disk at 100% and SMART warnings; need approval for a drive swap on a clinical PC.",
                   2, 8, 3)),
    S(key="slow-pc-av-scan-meridian",
      title="Computer slow every morning",
      problem="Leasing agent's PC crawls from 9 to 10am every day, then is fine.",
      client="Meridian Property Group",
      steps=(
          ("Checked Task Manager during the slow hour", "MsMpEng.exe at 80% CPU", I),
          ("Moved the scheduled Defender full scan from 9am to 12:30pm via Intune", "Morning slowness gone", W),
      ),
      resolution="A daily Defender full scan ran at 9am. Rescheduled it to lunchtime."),
    S(key="slow-pc-ram-lumen",
      title="PC freezes when Revit and Chrome are open",
      problem="Architect's workstation freezes for seconds at a time with Revit and a dozen Chrome tabs open.",
      client="Lumen Architects",
      steps=(
          ("Checked Resource Monitor", "16 GB RAM at 97%, heavy paging", I),
          ("Closed Chrome tabs as a test", "Better but still freezes with large models", I),
          ("Upgraded RAM to 64 GB", "No freezes with the largest project", W),
      ),
      resolution="Memory exhaustion. Upgraded the workstation from 16 GB to 64 GB RAM."),
    S(key="bitlocker-bios-update-harbor",
      title="Laptop asking for BitLocker recovery key",
      problem="Associate's laptop boots to the BitLocker recovery screen after last night's updates.",
      client="Harbor & Finch LLP",
      steps=(
          ("Looked up the recovery key in Entra ID (device > BitLocker keys)", "Found it, user unlocked the laptop",
           I),
          ("Checked why: a Dell BIOS update applied without suspending BitLocker", "TPM measurements changed", I),
          ("Ran manage-bde -protectors -disable C: -RebootCount 1, rebooted, confirmed protection resumed; "
           "set Dell Command Update to suspend BitLocker for BIOS updates", "Boots normally, no prompt", W),
      ),
      resolution="A BIOS update changed the TPM measurements. Unlocked with the recovery key from Entra ID, "
                 "re-sealed the key, and configured Dell Command Update to suspend BitLocker first.",
      escalation=E("senior2", "Laptop unlocked with the key but I want to make sure it doesn't happen again on "
                   "the other Dells.", 2, 10, 4)),
    S(key="bitlocker-tpm-cleared-saltmarsh",
      title="BitLocker recovery screen on every boot",
      problem="Taproom manager's laptop asks for the BitLocker key on every boot since a motherboard repair.",
      client="Saltmarsh Brewing Co.",
      steps=(
          ("Entered the recovery key from the M365 admin centre", "Boots, but asks again next time", N),
          ("tpm.msc", "TPM was cleared by the repair; no TPM protector", I),
          ("Suspended BitLocker, initialised the TPM, added a TPM protector with manage-bde and resumed",
           "Boots without prompting", W),
      ),
      resolution="The repair replaced the TPM. Re-initialised it and re-added the TPM protector.",
      escalation=E("senior", "BitLocker keeps asking after every boot, I don't want to decrypt and lose "
                   "compliance.", 1, 5, 2)),
    S(key="docking-monitors-redline",
      title="External monitors not detected on docking station",
      problem="Estimator's two monitors on the Dell WD19 dock show 'no signal' after a Windows update.",
      client="Redline Auto Body",
      steps=(
          ("Reseated USB-C and power on the dock", "Still no signal", N),
          ("Updated the Intel graphics driver", "One monitor works", I),
          ("Updated the WD19 dock firmware and the Realtek USB driver with Dell Command Update",
           "Both monitors detected", W),
      ),
      resolution="Dock firmware was too old for the new graphics driver. Updated the dock firmware.",
      escalation=E("senior", "Only one monitor back after the graphics driver, not sure what to try next.",
                   2, 5, 3)),
    S(key="windows-update-stuck-oakhurst",
      title="Windows Update stuck at 0% for days",
      problem="Partner's PC has been 'Downloading 0%' on the feature update for a week; RMM patching failing.",
      client="Oakhurst Accounting",
      steps=(
          ("Ran the Windows Update troubleshooter", "Nothing found", N),
          ("Reset Windows Update components (stopped wuauserv/bits/cryptsvc, renamed SoftwareDistribution "
           "and catroot2)", "Update downloaded and installed", W),
      ),
      resolution="Corrupt update cache. Reset the Windows Update components."),
)

STORAGE_SYNC = (
    S(key="mapped-drive-gpo-meridian",
      title="Mapped drives missing after login",
      problem="S: and P: drives are missing for the accounting team since this morning; other teams are fine.",
      client="Meridian Property Group",
      steps=(
          ("gpupdate /force and logged off/on", "Still missing", N),
          ("gpresult /h", "Drive map GPO applied but item-level targeting filters on 'Accounting' group", I),
          ("Found the team had been moved to a new 'Finance' group; updated the targeting",
           "Drives map at login", W),
      ),
      resolution="Group rename broke the GPO drive maps' item-level targeting. Updated the targeting to the new "
                 "group."),
    S(key="mapped-drive-offline-lumen",
      title="Network drive shows red X and 'not accessible'",
      problem="Project drive P: shows a red X every morning until the user double-clicks it twice.",
      client="Lumen Architects",
      steps=(
          ("Remapped the drive", "Red X again next morning", N),
          ("Enabled 'Always wait for the network at computer startup and logon' via GPO",
           "Drive connects at logon", W),
      ),
      resolution="Laptop logged on before Wi-Fi was up. Enabled 'always wait for the network' so drives reconnect."),
    S(key="onedrive-path-too-long-harbor",
      title="OneDrive not syncing, red X on files",
      problem="Paralegal's OneDrive shows sync errors on dozens of files in the case folders.",
      client="Harbor & Finch LLP",
      steps=(
          ("Paused and resumed sync", "Same errors", N),
          ("Viewed sync issues", "Path too long (over 400 characters) in nested case folders", I),
          ("Shortened the top-level folder names with the user and reset OneDrive (onedrive.exe /reset)",
           "All files synced", W),
      ),
      resolution="File paths exceeded SharePoint's 400-character limit. Shortened folder names and reset OneDrive."),
    S(key="onedrive-kfm-conflict-brightwater",
      title="Desktop files disappeared after OneDrive setup",
      problem="Office manager says her Desktop files vanished after we enabled OneDrive Known Folder Move.",
      client="Brightwater Dental",
      steps=(
          ("Checked the OneDrive folder", "Files are under OneDrive\\Desktop but the Desktop shows empty", I),
          ("Checked the registry shell folders", "Desktop still pointed at C:\\Users\\...\\Desktop", I),
          ("Re-ran KFM from OneDrive settings > Manage backup; fixed the Desktop shell folder path",
           "Files back on the Desktop and syncing", W),
      ),
      resolution="Known Folder Move half-applied. Re-ran it so the Desktop shell folder points at OneDrive.",
      escalation=E("senior2", "KFM seems half applied and the user is panicking about lost files.", 2, 1, 1)),
    S(key="onedrive-processing-changes-cobalt",
      title="OneDrive stuck on 'Processing changes'",
      problem="Ops manager's OneDrive has said 'Processing changes' for two days; new files don't upload.",
      client="Cobalt Freight",
      steps=(
          ("Restarted OneDrive", "Same", N),
          ("onedrive.exe /reset and signed back in", "Synced within 30 minutes", W),
      ),
      resolution="OneDrive's sync database was stuck. Reset the client."),
    S(key="excel-locked-for-editing-oakhurst",
      title="Excel file locked for editing by another user",
      problem="Shared workbook on the file server says 'locked for editing by Sarah' but Sarah is off today.",
      client="Oakhurst Accounting",
      steps=(
          ("Checked for the ~$ owner file", "~$ file present", I),
          ("Closed the open handle in Computer Management > Shared Folders > Open Files and deleted the ~$ file",
           "File opens for editing", W),
      ),
      resolution="A stale open file handle from Sarah's PC. Closed it on the server and removed the owner file."),
)

COLLABORATION_APPS = (
    S(key="teams-audio-headset-meridian",
      title="Teams audio: nobody can hear the user",
      problem="In Teams calls others can't hear the leasing agent; Zoom works with the same headset.",
      client="Meridian Property Group",
      steps=(
          ("Checked Teams device settings", "Microphone set to 'Default' which is the webcam mic", I),
          ("Selected the Jabra headset as mic and speaker in Teams and made it the Windows default",
           "Test call clear", W),
      ),
      resolution="Teams was using the webcam's disabled mic. Selected the Jabra headset."),
    S(key="teams-audio-echo-lumen",
      title="Teams calls echo in conference room",
      problem="Remote participants hear an echo of themselves when calling into the Lumen conference room.",
      client="Lumen Architects",
      steps=(
          ("Lowered the room speaker volume", "Echo reduced but still there", N),
          ("Checked the room PC audio", "Using the TV speakers plus a separate USB mic", I),
          ("Replaced them with a Jabra Speak 750 (echo cancelling speakerphone) and set it in Teams",
           "No echo", W),
      ),
      resolution="Separate speakers and mic had no echo cancellation. Installed a Jabra Speak 750.",
      escalation=E("senior", "Conference room echo, tried the software settings, might need hardware.", 2, 14, 5)),
    S(key="teams-cache-pinecrest",
      title="Teams won't load, white screen",
      problem="Practice manager's new Teams shows a white screen and never loads.",
      client="Pinecrest Family Practice",
      steps=(
          ("Reinstalled Teams", "Same", N),
          ("Reset the Teams app in Settings > Apps and cleared %LocalAppData%\\Packages\\MSTeams_* cache",
           "Teams loads", W),
      ),
      resolution="Corrupt new-Teams cache. Reset the app and cleared its package cache."),
    S(key="quickbooks-multiuser-oakhurst",
      title="QuickBooks can't open company file in multi-user mode",
      problem="Staff get H202 when opening the company file; it works on the server itself.",
      client="Oakhurst Accounting",
      steps=(
          ("Restarted QuickBooksDBXX service", "Still H202", N),
          ("Ran the QuickBooks Database Server Manager scan", "Firewall blocking ports 8019/56728", I),
          ("Added firewall rules for the QuickBooks ports and rescanned the folder", "Multi-user works", W),
      ),
      resolution="Windows Firewall blocked the QuickBooks database ports. Added the rules and rescanned."),
    S(key="rdp-nla-error-saltmarsh",
      title="Can't RDP to office PC from home",
      problem="Manager gets 'An authentication error has occurred, the function requested is not supported' "
              "when connecting to his office PC.",
      client="Saltmarsh Brewing Co.",
      owner="senior",
      steps=(
          ("Checked RDP is enabled on the target", "Enabled", I),
          ("Installed the latest cumulative update on the office PC (CredSSP mismatch)", "Connects", W),
      ),
      resolution="CredSSP encryption oracle mismatch: the office PC was months behind on updates. Patched it."),
    S(key="chrome-cert-ssl-inspection-redline",
      title="Every website shows 'Your connection is not private'",
      problem="All browsers on the new estimator PC show NET::ERR_CERT_AUTHORITY_INVALID.",
      client="Redline Auto Body",
      steps=(
          ("Checked the system clock", "Correct", I),
          ("Viewed the certificate", "Issued by the firewall's SSL inspection CA", I),
          ("Deployed the firewall's inspection CA certificate to Trusted Root via GPO, gpupdate",
           "Sites load without warnings", W),
      ),
      resolution="New PC lacked the firewall's SSL inspection CA. Deployed it via GPO."),
    S(key="email-junk-spf-cobalt",
      title="Customers say our emails go to junk",
      problem="Several customers report Cobalt's quotes landing in spam since they started sending from the "
              "new quoting system.",
      client="Cobalt Freight",
      steps=(
          ("Sent a test to a Gmail account and checked headers", "SPF softfail for the quoting system's servers", I),
          ("Added the quoting vendor's include to the SPF record and enabled DKIM for the domain",
           "Tests land in the inbox, SPF/DKIM pass", W),
      ),
      resolution="The quoting system wasn't in SPF. Added its include and enabled DKIM."),
    S(key="time-skew-kerberos-northside",
      title="Users can't log in: 'time difference between client and server'",
      problem="Three PCs at Northside can't log on to the domain: 'There is a time difference between the "
              "client and server'.",
      client="Northside Veterinary Clinic",
      steps=(
          ("Set the time manually on one PC", "Logs in, drifts again", N),
          ("w32tm /query /status on the DC", "PDC syncing from the local CMOS clock, 7 minutes off", I),
          ("Configured the PDC emulator to sync from pool.ntp.org (w32tm /config /manualpeerlist ... "
           "/reliable:yes) and resynced clients", "Logons work, time correct", W),
      ),
      resolution="The PDC emulator had no external NTP source and drifted. Pointed it at pool.ntp.org.",
      escalation=E("senior2", "Kerberos time errors on several PCs, DC time looks wrong and I don't want to "
                   "touch the DC without a senior.", 1, 6, 2)),
)

PART_2 = ENDPOINTS + STORAGE_SYNC + COLLABORATION_APPS

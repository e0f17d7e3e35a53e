"""The demo data that `manage.py seed_demo` loads: two accounts, their people, some history.

Plain data only; the command (`escalations/management/commands/seed_demo.py`) turns it into
rows. Acme's resolved history lives in `demo_data_acme.py` (it is long). Timestamps are not
stored here: the command spreads the sessions over the past ~60 days relative to the first run.

People are referred to by the local part of their email ("tech", "senior", "senior2", "admin"),
resolved inside the session's own account, so one account's data cannot name another's users.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PASSWORD = "resolutionflow-demo"

# Step outcomes, short so the tables stay readable.
W, N, I = "worked", "did_not_work", "inconclusive"  # noqa: E741


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    name: str

    @property
    def handle(self) -> str:
        return self.email.split("@", 1)[0]


@dataclass(frozen=True)
class DemoAccount:
    slug: str
    name: str
    users: tuple[DemoUser, ...]


@dataclass(frozen=True)
class DemoEscalation:
    """A past escalation: the owner escalated after `after` steps; `to` claimed it `claim_min`
    minutes later and logged their first step `first_min` minutes after claiming."""

    to: str
    reason: str
    after: int
    claim_min: int
    first_min: int


@dataclass(frozen=True)
class DemoSession:
    """A session. `steps` are (action, result, outcome); for resolved history the last one is the
    fix. `messages` are (after_step, role, body): posted a minute or two after step number
    `after_step` (0-based); a "user" message is written by whoever holds the session then (the owner,
    or after an escalation the engineer who claimed it), an "assistant" one by the copilot."""

    key: str  # stable: the seeded rows' ids derive from it (uuid5), which makes re-runs no-ops
    title: str
    problem: str
    client: str
    steps: tuple[tuple[str, str, str], ...]
    resolution: str = ""
    owner: str = "tech"
    escalation: DemoEscalation | None = None
    messages: tuple[tuple[int, str, str], ...] = ()


ACME = DemoAccount("acme", "Acme MSP", (
    DemoUser("tech@acme.test", "technician", "Jordan Reyes"),
    DemoUser("senior@acme.test", "engineer", "Priya Natarajan"),
    DemoUser("senior2@acme.test", "engineer", "Marcus Bell"),
    DemoUser("admin@acme.test", "admin", "Dana Whitfield"),
))

GLOBEX = DemoAccount("globex", "Globex IT", (
    DemoUser("tech@globex.test", "technician", "Alex Moreno"),
    DemoUser("senior@globex.test", "engineer", "Hannah Kowalski"),
    DemoUser("admin@globex.test", "admin", "Victor Osei"),
))

ACCOUNTS = (ACME, GLOBEX)

# Acme's one open escalation: tech@acme.test is stuck right now and escalates through the real
# handoff manager (snapshot, documentation, notifications).
OPEN_ESCALATION = DemoSession(
    key="open-spooler-reception",
    title="Print spooler keeps crashing on reception PC",
    problem=(
        "Reception PC at Pinecrest (PFP-RECEP-01, Windows 11 23H2): the Print Spooler service stops "
        "several times an hour. Front desk can't print intake forms to the HP LaserJet M404 and the print "
        "queue shows jobs stuck, then the printer shows offline. Started after last week's Patch Tuesday. "
        "The other PCs print fine to the same printer."
    ),
    client="Pinecrest Family Practice",
    steps=(
        ("Restarted the Print Spooler service from services.msc",
         "Printed two jobs, then the spooler stopped again. System log: Event 7034, 'The Print Spooler "
         "service terminated unexpectedly' (4 times since 8am)", N),
        ("Ran sfc /scannow and DISM /Online /Cleanup-Image /RestoreHealth",
         "No integrity violations found; spooler still crashes on the next print", N),
        ("Checked the Application log for the spoolsv.exe crash (Event 1000)",
         "Faulting module path is under C:\\Windows\\System32\\spool\\drivers\\x64\\3 — HP Universal "
         "Printing PCL 6 files. 23 jobs sitting in the queue", I),
    ),
    messages=(
        (0, "user", "Spooler on the reception PC keeps dying, I've restarted it 3 times this morning. "
                 "Anything to try before reinstalling the printer?"),
        (1, "assistant", "Look at the Application log for Event ID 1000 on spoolsv.exe: the faulting module "
                      "usually names the driver. Stuck jobs in C:\\Windows\\System32\\spool\\PRINTERS can also "
                      "crash the spooler on start; clear them with the service stopped."),
        (2, "user", "Faulting module is in the HP Universal driver. It's a clinic PC and they're mid-morning, "
                 "I don't want to rip the driver out without a senior looking. Escalating."),
    ),
)
OPEN_ESCALATION_REASON = (
    "Spooler still crashing after restarts and SFC/DISM; the crash points at the HP Universal PCL 6 "
    "driver. Need a senior to decide on replacing the driver on the front-desk PC while the clinic is open."
)

GLOBEX_HISTORY: tuple[DemoSession, ...] = (
    DemoSession(
        key="globex-spooler-warehouse",
        title="Warehouse label printer jobs stuck in print queue",
        problem="Shipping desk can't print labels to the Zebra ZT410; jobs sit in the print queue as 'Error - "
                "Printing' and the printer shows offline in Windows.",
        client="Ironwood Manufacturing",
        steps=(
            ("Power-cycled the Zebra and reseated the network cable",
             "Printer online on its panel, queue still stuck", N),
            ("Stopped Print Spooler, deleted the files in C:\\Windows\\System32\\spool\\PRINTERS, started it again",
             "Queue cleared, labels printing", W),
        ),
        resolution="A corrupt 400-label batch job was blocking the queue. Cleared the spool folder and restarted "
                   "the Print Spooler service; asked the shipping lead to send batches under 100 labels.",
    ),
    DemoSession(
        key="globex-outlook-loop",
        title="Outlook password prompt loop for new hire",
        problem="New hire's Outlook keeps asking for the password; webmail works.",
        client="Crestline Insurance",
        steps=(
            ("Removed the Outlook profile and created a new one", "Still prompts", N),
            ("Checked Entra ID sign-in logs", "Conditional Access blocked the sign-in: device not compliant", I),
            ("Enrolled the laptop in Intune and waited for the compliance check", "Outlook signed in and stayed in", W),
        ),
        resolution="Laptop wasn't Intune-enrolled so Conditional Access blocked Outlook. Enrolled it; compliant "
                   "after 15 minutes and Outlook connected.",
        escalation=DemoEscalation("senior", "Sign-in logs show CA failure, I don't have Intune rights.", 2, 7, 3),
    ),
    DemoSession(
        key="globex-vpn-home",
        title="Always On VPN won't connect from home",
        problem="User's Always On VPN fails with error 809 from home; works on the office guest Wi-Fi.",
        client="Fairview Public Library",
        steps=(
            ("Had the user reboot the home router", "Same error 809", N),
            ("Switched the VPN profile from IKEv2 to SSTP", "Connected immediately", W),
        ),
        resolution="Home ISP router drops fragmented IKEv2 packets (error 809). Moved the user to the SSTP profile.",
    ),
    DemoSession(
        key="globex-disk-full",
        title="C: drive full on accounting terminal server",
        problem="RDS host TS02 has 300 MB free on C:; users getting 'low disk space' and profiles failing to load.",
        client="Crestline Insurance",
        steps=(
            ("Ran Disk Cleanup including Windows Update cleanup", "Freed 2 GB, filled again within the hour", N),
            ("Ran WizTree to find the space", "18 GB of Teams cache in roaming profiles under C:\\Users", I),
            ("Excluded Teams cache from the profiles and cleared it; moved profiles to FSLogix on D:",
             "C: at 41 GB free, steady for a day", W),
        ),
        resolution="Teams cache in local profiles filled C:. Cleared it and moved profiles to FSLogix "
                   "containers on D:.",
    ),
    DemoSession(
        key="globex-mfa-phone",
        title="MFA reset: user got a new phone",
        problem="User replaced their phone and can't approve Microsoft Authenticator prompts.",
        client="Ironwood Manufacturing",
        steps=(
            ("Verified identity by callback to the number on file", "Verified", I),
            ("Required re-registration of MFA in Entra ID and issued a Temporary Access Pass",
             "User registered Authenticator on the new phone", W),
        ),
        resolution="Identity verified by callback; MFA re-registration required and a one-hour TAP issued.",
    ),
    DemoSession(
        key="globex-dns",
        title="Intranet site not resolving from branch office",
        problem="Branch office PCs can't open intranet.globex.local: 'DNS_PROBE_FINISHED_NXDOMAIN'. HQ is fine.",
        client="Fairview Public Library",
        steps=(
            ("ipconfig /flushdns on an affected PC", "Still NXDOMAIN", N),
            ("nslookup intranet.globex.local against each DNS server",
             "Branch DHCP hands out 8.8.8.8 as the only DNS server", I),
            ("Changed the branch DHCP scope's DNS option to the two domain controllers, renewed leases",
             "Intranet resolves", W),
        ),
        resolution="Branch DHCP scope pointed clients at public DNS. Set option 006 to the DCs and renewed leases.",
    ),
    DemoSession(
        key="globex-lockout",
        title="Account keeps locking out every morning",
        problem="User's AD account locks out around 8:30 every day since the password change on Monday.",
        client="Crestline Insurance",
        owner="senior",
        steps=(
            ("Checked the PDC Security log for 4740", "Caller computer is CRL-LT-088, the user's old laptop", I),
            ("Found the old laptop in the storeroom, still on the network with a mapped drive using old credentials; "
             "removed it from the network and cleared its stored credentials", "No lockouts for two days", W),
        ),
        resolution="Old laptop with stale stored credentials kept locking the account. Decommissioned it.",
    ),
    DemoSession(
        key="globex-wifi",
        title="Laptops drop Wi-Fi in the east conference room",
        problem="Laptops lose Wi-Fi for ~30 s at a time in the east conference room, several times per meeting.",
        client="Ironwood Manufacturing",
        steps=(
            ("Updated the Intel AX201 Wi-Fi driver on one laptop", "Still drops", N),
            ("Checked the controller: the room's AP is on the same 5 GHz channel as the neighbour's",
             "Heavy co-channel interference on channel 36", I),
            ("Moved the AP to channel 149 and lowered 2.4 GHz power", "No drops through two meetings", W),
        ),
        resolution="Co-channel interference with a neighbouring network. Re-channelled the AP to 149.",
    ),
)

"""Builders for the assessment tests: resolved history and a new escalation."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from escalations import hook_registry
from escalations.assessment.dispatch import on_event_notified
from escalations.handoffs import handoff_create
from escalations.models import HandoffIntent, PilotSession, SessionStatus, Step

W, N, INC = "worked", "did_not_work", "inconclusive"


def resolved_session(account, owner, *, title, problem, resolution, steps=(), days_ago=3) -> PilotSession:
    when = timezone.now() - timedelta(days=days_ago)
    session = PilotSession.objects.create(
        account=account, owner=owner, title=title, problem=problem, status=SessionStatus.RESOLVED,
        resolution=resolution, resolved_at=when, created_at=when - timedelta(hours=1),
    )
    for i, (action, outcome) in enumerate(steps):
        Step.objects.create(account=account, session=session, author=owner, action=action, result="",
                            outcome=outcome, created_at=when - timedelta(minutes=50 - i))
    return session


def acme_history(account, owner) -> dict[str, PilotSession]:
    return {
        "spooler": resolved_session(
            account, owner, title="Print spooler crashes when the front desk prints",
            problem="The Print Spooler service stops every few minutes on the reception PC; jobs stuck in the queue.",
            resolution="A corrupt HP Universal driver crashed spoolsv.exe. Cleared the spool folder and installed the "
                       "model-specific driver.",
            steps=[("Restarted the Print Spooler service", N),
                   ("Stopped the spooler and cleared C:\\Windows\\System32\\spool\\PRINTERS", INC),
                   ("Replaced the HP Universal PCL 6 driver with the model-specific M404 driver", W)],
        ),
        "vpn": resolved_session(
            account, owner, title="VPN drops every hour for remote staff",
            problem="Remote users' VPN disconnects every hour and they have to sign in again.",
            resolution="The firewall's IKE lifetime was shorter than the client's. Matched the lifetimes.",
            steps=[("Reinstalled the VPN client", N), ("Set the IKE phase 1 lifetime to 28800 s on both ends", W)],
        ),
        "outlook": resolved_session(
            account, owner, title="Outlook keeps asking for the password",
            problem="Outlook prompts for credentials every 5 minutes; webmail works.",
            resolution="Stale cached credentials in Credential Manager. Removed them and re-signed in.",
            steps=[("Created a new Outlook profile", N), ("Removed the Office entries from Credential Manager", W)],
        ),
        "dns": resolved_session(
            account, owner, title="Websites not loading, DNS resolution fails",
            problem="Users cannot open websites; nslookup times out against the domain controller.",
            resolution="The DNS server service on DC01 had stopped after an update. Restarted it and set it to "
                       "automatic.",
            steps=[("Flushed the DNS cache on the clients", N), ("Started the DNS Server service on DC01", W)],
        ),
        "printer_offline": resolved_session(
            account, owner, title="Printer shows offline for accounting",
            problem="Accounting's Ricoh printer shows offline after the office moved to a new subnet.",
            resolution="The printer port still pointed at the old IP. Updated the TCP/IP port.",
            steps=[("Power-cycled the printer", N), ("Changed the Standard TCP/IP port to the new address", W)],
        ),
    }


def escalation(account, tech, *, title, problem, steps=(), reason="Stuck, need a senior"):
    session = PilotSession.objects.create(account=account, owner=tech, title=title, problem=problem)
    for action, outcome in steps:
        Step.objects.create(account=account, session=session, author=tech, action=action, result="", outcome=outcome)
    return handoff_create(session=session, actor=tech, intent=HandoffIntent.ESCALATE, reason=reason)


def without_auto_assessment(monkeypatch) -> None:
    """Tests that run the assessment themselves: new handoffs queue none (no broker message, no
    eager run when their fan-out runs)."""
    monkeypatch.setattr(hook_registry, "ON_EVENT_NOTIFIED",
                        [fn for fn in hook_registry.ON_EVENT_NOTIFIED if fn is not on_event_notified])

"""`manage.py seed_demo`: the demo accounts, people and history (API.md, "Operating contract").

Idempotent: accounts are found by slug, users by email, and every seeded session, step, message
and handoff has a fixed id (uuid5 of the account slug and the session's key in
`escalations.demo_data`), so a second run finds everything and creates nothing. A session that
exists is left alone, whatever happened to it since (claimed, resolved, ...).

History is written directly with the models, with explicit past timestamps: going through the
services would stamp everything "now" and the handoff manager would notify people about
escalations that ended weeks ago. The one open escalation does go through the real handoff
manager, so it has its snapshot, documentation and notifications like any other. Other apps' demo
data (analytics' baseline samples) is written by their seeders in `escalations.extensions.DEMO_SEEDERS`,
in the same transaction.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from escalations import extensions
from escalations.demo_data import (
    ACCOUNTS,
    DEFAULT_PASSWORD,
    GLOBEX_HISTORY,
    OPEN_ESCALATION,
    OPEN_ESCALATION_REASON,
    DemoAccount,
    DemoSession,
    W,
)
from escalations.demo_data_acme import PART_1
from escalations.demo_data_acme_more import PART_2
from escalations.documentation import render_session_documentation
from escalations.handoffs import _snapshot_messages, _snapshot_steps, handoff_create
from escalations.models import (
    AssessmentStatus,
    Handoff,
    HandoffIntent,
    Message,
    MessageRole,
    PilotSession,
    SessionStatus,
    Step,
)

HISTORY: dict[str, tuple[DemoSession, ...]] = {"acme": PART_1 + PART_2, "globex": GLOBEX_HISTORY}
HISTORY_DAYS = 60
# Fixed namespace for the seeded rows' ids. Changing it would make the next run seed everything twice.
NAMESPACE = uuid.UUID("6f1d5a0e-4c1b-5b7e-9a55-3d2f0c7e8b41")


def seeded_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(parts))


def _hash(text: str) -> int:
    """A stable number per session key, for deterministic jitter (Python's hash() is salted)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


@dataclass
class Timeline:
    step_times: list[datetime] = field(default_factory=list)
    message_times: dict[int, datetime] = field(default_factory=dict)
    handoff_at: datetime | None = None
    claim_at: datetime | None = None
    end: datetime | None = None


def build_timeline(spec: DemoSession, start: datetime) -> Timeline:
    """Steps 6–15 minutes apart, each step's messages a minute or two after it; the escalation two
    minutes after the last thing before it, the claim `claim_min` minutes (and some seconds)
    later, the claimer's first step `first_min` minutes after the claim."""
    h = _hash(spec.key)
    esc = spec.escalation
    tl = Timeline()
    t = start
    for k in range(len(spec.steps)):
        if esc and k == esc.after:
            tl.handoff_at = t + timedelta(minutes=2)
            tl.claim_at = tl.handoff_at + timedelta(minutes=esc.claim_min, seconds=h % 40)
            t = tl.claim_at + timedelta(minutes=esc.first_min)
        else:
            t += timedelta(minutes=6 + (h >> (4 * k)) % 10)
        tl.step_times.append(t)
        for j, (after_step, _role, _body) in enumerate(spec.messages):
            if after_step == k:
                t += timedelta(minutes=1, seconds=10 + h % 50)
                tl.message_times[j] = t
    tl.end = t + timedelta(minutes=3)
    return tl


def _check(spec: DemoSession, *, resolved: bool) -> None:
    """The data table's invariants; a typo there should fail loudly, not seed odd history."""
    problems = []
    if not 2 <= len(spec.steps) <= 5:
        problems.append("needs 2–5 steps")
    if resolved and (spec.steps[-1][2] != W or not spec.resolution):
        problems.append("a resolved session ends with the step that worked and has a resolution")
    if spec.escalation and not 1 <= spec.escalation.after < len(spec.steps):
        problems.append("escalates after at least one step and before the last")
    if any(not 0 <= after_step < len(spec.steps) for after_step, _role, _body in spec.messages):
        problems.append("a message follows a step that does not exist")
    if problems:
        raise CommandError(f"demo data {spec.key!r}: {'; '.join(problems)}")


class Command(BaseCommand):
    help = "Create the demo accounts (Acme MSP, Globex IT), their users and history. Safe to run again."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        now = timezone.now()
        created = {"sessions": 0, "existing": 0}
        people: dict[str, dict[str, User]] = {}
        self.created_user_ids = set()
        with transaction.atomic():
            for spec in ACCOUNTS:
                account, _ = Account.objects.get_or_create(slug=spec.slug, defaults={"name": spec.name})
                people[spec.slug] = users = self._users(account, spec, password)
                for slot, session_spec in self._by_day(HISTORY[spec.slug]):
                    start = self._start(session_spec, slot, len(HISTORY[spec.slug]), now)
                    made = self._resolved_session(account, users, session_spec, start, slot)
                    created["sessions" if made else "existing"] += 1
            acme = Account.objects.get(slug="acme")
            opened = self._open_escalation(acme, people["acme"], now)
            # What other apps add to the demo (analytics: Acme's manual baseline samples).
            accounts = {a.slug: a for a in Account.objects.filter(slug__in=people)}
            for seeder in extensions.DEMO_SEEDERS:
                seeder(accounts=accounts, people=people, now=now)

        self.stdout.write(
            f"Demo data: {created['sessions']} sessions created, {created['existing']} already there; "
            f"open escalation {'created' if opened else 'already there'}."
        )
        self._print_logins(people, password)

    # --- people ------------------------------------------------------------------------------

    def _users(self, account: Account, spec: DemoAccount, password: str) -> dict[str, User]:
        users = {}
        for person in spec.users:
            user = User.objects.filter(email__iexact=person.email).first()
            if user is None:
                user = User.objects.create_user(email=person.email, password=password, account=account,
                                                role=person.role, name=person.name)
                self.created_user_ids.add(user.pk)
            elif user.account_id != account.pk:
                raise CommandError(f"{person.email} already exists outside {spec.name}; not touching it.")
            users[person.handle] = user
        return users

    def _print_logins(self, people: dict[str, dict[str, User]], password: str) -> None:
        self.stdout.write("\nLogins:")
        for spec in ACCOUNTS:
            self.stdout.write(f"  {spec.name}")
            for user in people[spec.slug].values():
                # Users seeded by an earlier run with another DEMO_PASSWORD keep theirs.
                # (Hashing is slow on purpose: skip the check for users this run created.)
                known = user.pk in self.created_user_ids or user.check_password(password)
                shown = password if known else "(existing user, password unchanged)"
                self.stdout.write(f"    {user.email:<22} {user.role:<11} {shown}")

    # --- history -----------------------------------------------------------------------------

    @staticmethod
    def _by_day(history):
        """A fixed shuffle (by key hash) so that sessions on the same topic land on different days."""
        return enumerate(sorted(history, key=lambda s: _hash(s.key)))

    @staticmethod
    def _start(spec: DemoSession, slot: int, count: int, now: datetime) -> datetime:
        days_ago = HISTORY_DAYS - 1 - round(slot * (HISTORY_DAYS - 3) / max(count - 1, 1))  # 59 … 2
        h = _hash(spec.key)
        # 13:00–20:59 UTC: US office hours.
        return (now - timedelta(days=days_ago)).replace(hour=13 + h % 8, minute=(h >> 3) % 60, second=0,
                                                         microsecond=0)

    @staticmethod
    def _ticket(account: Account, slot: int, start: datetime, spec: DemoSession) -> str:
        if account.slug == "globex":  # Autotask-style numbers carry the date
            return f"T{start:%Y%m%d}.{1 + _hash(spec.key) % 90:04d}"
        return str(48210 + slot * 37 + _hash(spec.key) % 30)  # ConnectWise-style, rising with time

    def _resolved_session(self, account, users, spec: DemoSession, start, slot) -> bool:
        _check(spec, resolved=True)
        session_id = seeded_id(account.slug, spec.key)
        if PilotSession.objects.filter(pk=session_id).exists():
            return False
        tl = build_timeline(spec, start)
        owner = users[spec.owner]
        session = PilotSession.objects.create(
            id=session_id, account=account, owner=owner, title=spec.title, problem=spec.problem,
            client_name=spec.client, psa_ticket_id=self._ticket(account, slot, start, spec),
            status=SessionStatus.ACTIVE, created_at=start,
        )
        esc = spec.escalation
        claimer = users[esc.to] if esc else None
        steps = self._steps(session, spec, tl, owner=owner, claimer=claimer)
        messages = self._messages(session, spec, tl, owner=owner, claimer=claimer)
        if esc:
            pre = steps[:esc.after]
            tail = [m for m in messages if m.created_at < tl.handoff_at][-settings.HANDOFF_CONVERSATION_TAIL:]
            handoff = Handoff.objects.create(
                id=seeded_id(account.slug, spec.key, "handoff"), account=account, session=session,
                intent=HandoffIntent.ESCALATE, reason=esc.reason, requested_by=owner, problem=spec.problem,
                steps_tried=_snapshot_steps(pre), conversation_tail=_snapshot_messages(tail),
                # No assessment was ever computed for seeded history; "failed" renders as "unavailable".
                assessment_status=AssessmentStatus.FAILED,
                claimed_by=claimer, claimed_at=tl.claim_at, first_action_at=tl.step_times[esc.after],
                created_at=tl.handoff_at,
            )
            session.documentation = render_session_documentation(session=session, steps=pre, messages=tail,
                                                                 handoff=handoff)
            session.owner = claimer  # claiming hands the session to the engineer, who resolved it
        session.status = SessionStatus.RESOLVED
        session.resolution = spec.resolution
        session.resolved_at = tl.end
        session.save()
        return True

    @staticmethod
    def _steps(session, spec: DemoSession, tl: Timeline, *, owner, claimer) -> list[Step]:
        after = spec.escalation.after if spec.escalation else len(spec.steps)
        return [
            Step.objects.create(
                id=seeded_id(session.account.slug, spec.key, "step", str(k)), account=session.account,
                session=session, author=owner if k < after else claimer,
                action=action, result=result, outcome=outcome, created_at=tl.step_times[k],
            )
            for k, (action, result, outcome) in enumerate(spec.steps)
        ]

    @staticmethod
    def _messages(session, spec: DemoSession, tl: Timeline, *, owner, claimer) -> list[Message]:
        after = spec.escalation.after if spec.escalation else len(spec.steps)
        messages = [
            Message.objects.create(
                id=seeded_id(session.account.slug, spec.key, "message", str(j)), account=session.account,
                session=session, role=role,
                author=None if role != MessageRole.USER else owner if after_step < after else claimer,
                body=body, created_at=tl.message_times[j],
            )
            for j, (after_step, role, body) in enumerate(spec.messages)
        ]
        return sorted(messages, key=lambda m: m.created_at)

    # --- the open escalation -----------------------------------------------------------------

    def _open_escalation(self, account: Account, users: dict[str, User], now: datetime) -> bool:
        """Acme's technician, stuck right now, escalates through the real handoff manager."""
        spec = OPEN_ESCALATION
        _check(spec, resolved=False)
        session_id = seeded_id(account.slug, spec.key)
        if PilotSession.objects.filter(pk=session_id).exists():
            return False
        tech = users[spec.owner]
        start = now - timedelta(minutes=55)
        tl = build_timeline(spec, start)
        assert tl.end < now, "the open escalation's history must be in the past"
        session = PilotSession.objects.create(
            id=session_id, account=account, owner=tech, title=spec.title, problem=spec.problem,
            client_name=spec.client, psa_ticket_id=self._ticket(account, len(HISTORY["acme"]) + 1, start, spec),
            status=SessionStatus.ACTIVE, created_at=start,
        )
        self._steps(session, spec, tl, owner=tech, claimer=None)
        self._messages(session, spec, tl, owner=tech, claimer=None)
        handoff_create(session=session, actor=tech, intent=HandoffIntent.ESCALATE, reason=OPEN_ESCALATION_REASON)
        return True

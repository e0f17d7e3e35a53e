"""`manage.py seed_demo`: the demo accounts, people and history (API.md, "Operating contract")."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, User
from escalations.models import Handoff, Message, PilotSession, SessionStatus, Step
from notifications.models import Notification
from tests.helpers import run_fanouts

pytestmark = pytest.mark.django_db

DEMO_PEOPLE = {
    "tech@acme.test": ("acme", "technician"),
    "senior@acme.test": ("acme", "engineer"),
    "senior2@acme.test": ("acme", "engineer"),
    "admin@acme.test": ("acme", "admin"),
    "tech@globex.test": ("globex", "technician"),
    "senior@globex.test": ("globex", "engineer"),
    "admin@globex.test": ("globex", "admin"),
}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Account, User, PilotSession, Step, Message, Handoff, Notification)}


def test_it_creates_the_demo_people_with_their_roles_and_accounts():
    seed()
    people = {u.email: (u.account.slug, u.role) for u in User.objects.select_related("account")}
    assert people == DEMO_PEOPLE
    assert dict(Account.objects.values_list("slug", "name")) == {"acme": "Acme MSP", "globex": "Globex IT"}
    assert all(u.name and u.name != u.email for u in User.objects.all())


def test_it_prints_every_login_with_role_and_password():
    output = seed()
    for email, (_slug, role) in DEMO_PEOPLE.items():
        line = next(line for line in output.splitlines() if email in line)
        assert role in line and "resolutionflow-demo" in line


def test_the_default_password_works(rf):
    seed()
    for email in DEMO_PEOPLE:
        assert authenticate(rf.get("/"), username=email, password="resolutionflow-demo") is not None


def test_demo_password_comes_from_the_environment(monkeypatch, rf):
    monkeypatch.setenv("DEMO_PASSWORD", "pilot-week-3")
    output = seed()
    assert "pilot-week-3" in output
    assert authenticate(rf.get("/"), username="senior@acme.test", password="pilot-week-3") is not None
    assert authenticate(rf.get("/"), username="senior@acme.test", password="resolutionflow-demo") is None


def test_acme_has_forty_resolved_sessions_each_with_steps_a_fix_and_a_resolution():
    seed()
    now = timezone.now()
    resolved = PilotSession.objects.filter(account__slug="acme", status=SessionStatus.RESOLVED)
    assert resolved.count() >= 40
    for session in resolved.prefetch_related("steps"):
        steps = list(session.steps.all())
        assert 2 <= len(steps) <= 5, session.title
        assert steps[-1].outcome == "worked", session.title
        assert session.resolution and session.client_name and session.psa_ticket_id
        assert session.created_at < steps[0].created_at < steps[-1].created_at < session.resolved_at < now
    oldest = resolved.order_by("created_at").first().created_at
    assert now - timedelta(days=62) < oldest < now - timedelta(days=50), "history spans about 60 days"


def test_print_spooler_history_has_clear_fixes_in_technicians_words():
    seed()
    spooler = PilotSession.objects.filter(account__slug="acme", status=SessionStatus.RESOLVED).filter(
        Q(title__icontains="spooler") | Q(problem__icontains="spooler") | Q(title__icontains="print queue"))
    assert spooler.count() >= 3
    fixes = [s.steps.order_by("created_at").last() for s in spooler]
    assert all(f.outcome == "worked" for f in fixes)
    assert sum("spool\\PRINTERS" in f.action and "spooler" in f.action.lower() for f in fixes) >= 3


def test_past_escalations_were_claimed_within_minutes_and_stopped_the_clock():
    seed()
    claimed = Handoff.objects.filter(account__slug="acme").claimed().select_related("session", "claimed_by")
    assert claimed.count() >= 10
    assert claimed.filter(created_at__gte=timezone.now() - timedelta(days=7)).exists(), "analytics' 7d window"
    for handoff in claimed:
        assert timedelta(minutes=1) <= handoff.claimed_at - handoff.created_at <= timedelta(minutes=15)
        assert timedelta(minutes=1) <= handoff.first_action_at - handoff.claimed_at <= timedelta(minutes=6)
        assert handoff.claimed_by.role == "engineer" and handoff.session.owner == handoff.claimed_by
        assert handoff.steps_tried and handoff.session.documentation
        assert handoff.session.status == SessionStatus.RESOLVED


def test_acme_has_exactly_one_open_escalation_made_by_the_handoff_manager(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    run_fanouts(django_capture_on_commit_callbacks)
    open_handoffs = Handoff.objects.unclaimed()
    assert open_handoffs.count() == 1
    handoff = open_handoffs.select_related("session", "requested_by").get()
    assert handoff.account.slug == "acme" and handoff.requested_by.email == "tech@acme.test"
    assert handoff.session.status == SessionStatus.ESCALATED
    assert "spooler" in handoff.session.title.lower()
    assert len(handoff.steps_tried) >= 2 and handoff.conversation_tail and handoff.session.documentation
    notified = set(Notification.objects.filter(handoff=handoff).values_list("user__email", flat=True))
    assert notified == {"senior@acme.test", "senior2@acme.test", "admin@acme.test"}


def test_running_it_twice_changes_nothing():
    seed()
    before = counts()
    open_before = list(Handoff.objects.unclaimed().values_list("pk", flat=True))
    output = seed()
    assert counts() == before
    assert list(Handoff.objects.unclaimed().values_list("pk", flat=True)) == open_before
    assert "0 sessions created" in output


def test_a_second_run_leaves_a_claimed_open_escalation_alone():
    from escalations.handoffs import handoff_claim

    seed()
    handoff_claim(handoff=Handoff.objects.unclaimed().get(), actor=User.objects.get(email="senior@acme.test"))
    seed()
    assert Handoff.objects.unclaimed().count() == 0


def test_globex_data_never_references_acme_users():
    seed()
    globex = Account.objects.get(slug="globex")
    acme_users = set(User.objects.filter(account__slug="acme").values_list("pk", flat=True))
    referenced = set(PilotSession.objects.filter(account=globex).values_list("owner", flat=True))
    referenced |= set(Step.objects.filter(account=globex).values_list("author", flat=True))
    referenced |= set(Message.objects.filter(account=globex).values_list("author", flat=True))
    for field in ("requested_by", "claimed_by", "target_user"):
        referenced |= set(Handoff.objects.filter(account=globex).values_list(field, flat=True))
    referenced |= set(Notification.objects.filter(account=globex).values_list("user", flat=True))
    assert referenced - {None}
    assert not referenced & acme_users
    assert 5 <= PilotSession.objects.filter(account=globex, status=SessionStatus.RESOLVED).count() <= 12
    for model in (Step, Message):
        assert not model.objects.filter(account=globex).exclude(session__account=globex).exists()


def test_it_refuses_to_take_over_a_user_of_another_account():
    other = Account.objects.create(name="Initech", slug="initech")
    User.objects.create_user(email="senior@acme.test", password="x", account=other, role="engineer")
    with pytest.raises(CommandError, match="senior@acme.test"):
        seed()
    assert not PilotSession.objects.exists()


def test_acme_has_enough_baseline_samples_for_a_savings_figure():
    from analytics.models import BaselineSample

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    samples = BaselineSample.objects.filter(account__slug="acme")
    assert samples.count() == 7
    assert all(s.measured_by.email == "admin@acme.test" for s in samples)
    assert not BaselineSample.objects.filter(account__slug="globex").exists()

"""Once an escalation is claimed (or cancelled by resolving its session), nobody's "X escalated Y"
bell is news any more: the worker's fan-out of the claim (or of the resolve) marks every
recipient's unread escalation bell of that handoff read, in one UPDATE, idempotently, and tells
the open bells with one `notifications.read` frame to the account's members group (issue #12)."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalations import events, handoffs, services
from notifications import fanout
from notifications.models import Notification, NotificationKind
from tests.helpers import make_user, run_fanouts

pytestmark = pytest.mark.django_db


def _escalate(tech, title="Printer offline"):
    session = services.session_create(actor=tech, title=title, problem="p")
    return handoffs.handoff_create(session=session, actor=tech, intent="escalate", reason="r")


def _bells(handoff):
    return Notification.objects.filter(handoff=handoff, kind=NotificationKind.ESCALATION)


@pytest.fixture
def listener(acme):
    """A channel in the account's members group, as a web process's hub is."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.members_group(acme.pk), channel)

    def frames():
        """Every frame the group got so far (waits half a second for the next, then stops).
        Once per test: channels-redis binds a channel's receive to the first event loop."""

        async def drain():
            got = []
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), timeout=0.5)
                except TimeoutError:
                    return got
                got.append(message["frame"])

        return async_to_sync(drain)()

    return frames


def test_a_claim_marks_every_recipients_escalation_bell_read(
        acme_tech, acme_senior, acme_senior2, acme_admin, django_capture_on_commit_callbacks):
    handoff = _escalate(acme_tech)
    other = _escalate(acme_tech, title="Another one, still waiting")
    run_fanouts(django_capture_on_commit_callbacks)
    assert _bells(handoff).filter(read_at__isnull=True).count() == 3
    earlier = timezone.now() - timedelta(minutes=5)
    _bells(handoff).filter(user=acme_admin).update(read_at=earlier)  # the admin had read theirs

    handoffs.handoff_claim(handoff=handoff, actor=acme_senior)
    run_fanouts(django_capture_on_commit_callbacks)

    assert not _bells(handoff).filter(read_at__isnull=True).exists()
    assert _bells(handoff).get(user=acme_admin).read_at == earlier  # left as it was
    # The other escalation still waits: its bells are still news.
    assert _bells(other).filter(read_at__isnull=True).count() == 3
    # The requester's "picked up" bell is new, and unread.
    assert Notification.objects.get(user=acme_tech, kind=NotificationKind.CLAIMED).read_at is None


def test_one_update_for_two_hundred_recipients_and_a_second_run_does_nothing(
        acme, acme_tech, acme_senior, django_capture_on_commit_callbacks):
    for i in range(199):
        make_user(acme, f"eng{i}@acme.test", "engineer")
    handoff = _escalate(acme_tech)
    run_fanouts(django_capture_on_commit_callbacks)
    assert _bells(handoff).filter(read_at__isnull=True).count() == 200
    handoffs.handoff_claim(handoff=handoff, actor=acme_senior)

    with CaptureQueriesContext(connection) as ctx:
        run_fanouts(django_capture_on_commit_callbacks)
    updates = [q["sql"] for q in ctx.captured_queries
               if q["sql"].startswith("UPDATE") and "notifications_notification" in q["sql"]]
    assert len(updates) == 1, updates
    assert not _bells(handoff).filter(read_at__isnull=True).exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert fanout.mark_escalation_bells_read(handoff) == 0
    assert callbacks == []  # nothing marked, nothing sent


def test_the_open_bells_are_told_in_one_frame(acme_tech, acme_senior, acme_senior2, acme_admin, listener,
                                              django_capture_on_commit_callbacks):
    handoff = _escalate(acme_tech)
    run_fanouts(django_capture_on_commit_callbacks)
    ada = _bells(handoff).get(user=acme_admin)
    ada.read_at = timezone.now()
    ada.save()

    handoffs.handoff_claim(handoff=handoff, actor=acme_senior)
    run_fanouts(django_capture_on_commit_callbacks)

    frames = [f for f in listener() if f["type"] == "notifications.read"]
    assert len(frames) == 1
    frame = frames[0]
    assert frame["kind"] == "escalation" and frame["handoff_id"] == str(handoff.pk)
    assert frame["read_at"].endswith("Z")
    # The two engineers' (unread until now); not the admin's, read before.
    assert frame["notifications"] == {str(u.pk): str(_bells(handoff).get(user=u).pk)
                                      for u in (acme_senior, acme_senior2)}


def test_resolving_before_anyone_claimed_marks_the_bells_read(acme_tech, acme_senior, acme_senior2,
                                                              django_capture_on_commit_callbacks):
    handoff = _escalate(acme_tech)
    run_fanouts(django_capture_on_commit_callbacks)
    assert _bells(handoff).filter(read_at__isnull=True).count() == 2
    services.session_resolve(session=handoff.session, actor=acme_tech, resolution="Rebooted")
    run_fanouts(django_capture_on_commit_callbacks)
    assert not _bells(handoff).filter(read_at__isnull=True).exists()


def test_a_claim_fanned_out_before_the_escalation_still_leaves_no_unread_bell(
        acme_tech, acme_senior, acme_senior2, django_capture_on_commit_callbacks):
    from escalations.models import EscalationEvent, EventType

    handoff = _escalate(acme_tech)
    handoffs.handoff_claim(handoff=handoff, actor=acme_senior)
    claimed = EscalationEvent.objects.get(handoff=handoff, type=EventType.HANDOFF_CLAIMED)
    with django_capture_on_commit_callbacks(execute=True):
        fanout.fan_out(claimed.pk)  # the worker took the claim's event first
    run_fanouts(django_capture_on_commit_callbacks)  # then the escalation's
    assert _bells(handoff).count() == 2
    assert not _bells(handoff).filter(read_at__isnull=True).exists()


def test_another_accounts_bells_are_never_touched(acme_tech, acme_senior, globex_tech, globex_senior,
                                                  django_capture_on_commit_callbacks):
    ours, theirs = _escalate(acme_tech), _escalate(globex_tech)
    run_fanouts(django_capture_on_commit_callbacks)
    handoffs.handoff_claim(handoff=ours, actor=acme_senior)
    run_fanouts(django_capture_on_commit_callbacks)
    assert _bells(theirs).get(user=globex_senior).read_at is None

"""An escalation waiting unclaimed too long re-notifies the account's admins, once."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from escalations.models import Handoff
from notifications import tasks
from notifications.models import Delivery, Notification
from tests.helpers import run_fanouts
from tests.notifications.builders import escalate_and_commit, run_due


def _age(handoff_id, minutes):
    Handoff.objects.filter(pk=handoff_id).update(created_at=timezone.now() - timedelta(minutes=minutes))


def test_admins_are_renotified_once_after_the_accounts_delay(
        api, acme_tech, acme_senior, acme_admin, globex_admin, django_capture_on_commit_callbacks):
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    Delivery.objects.all().delete()
    _age(handoff["id"], 9)
    assert tasks.renotify_waiting_escalations() == 0  # default 10 minutes: not yet
    _age(handoff["id"], 11)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.renotify_waiting_escalations() == 1
    run_fanouts(django_capture_on_commit_callbacks)
    note = Notification.objects.get(kind="waiting")
    assert note.user == acme_admin and note.link == f"/pilot/{handoff['session_id']}?pickup=true"
    assert "waited 11 min" in note.title
    assert Handoff.objects.get(pk=handoff["id"]).admins_renotified_at is not None
    run_due()
    assert [m.to for m in mail.outbox] == [["admin@acme.test"]]
    assert "Waiting 11 min unclaimed" in mail.outbox[0].subject
    # Once: later runs do nothing.
    assert tasks.renotify_waiting_escalations() == 0
    assert Notification.objects.filter(kind="waiting").count() == 1


def test_claimed_and_resolved_escalations_are_not_renotified_and_the_delay_is_per_account(
        api, acme_tech, acme_senior, acme_admin, django_capture_on_commit_callbacks):
    client = api(acme_tech)
    claimed = escalate_and_commit(django_capture_on_commit_callbacks, client, title="one")
    api(acme_senior).post(f"/api/v1/handoffs/{claimed['id']}/claim")
    run_fanouts()
    waiting = escalate_and_commit(django_capture_on_commit_callbacks, client, title="two")
    _age(claimed["id"], 60)
    _age(waiting["id"], 20)
    acme_admin.account.escalation_renotify_minutes = 30
    acme_admin.account.save()
    assert tasks.renotify_waiting_escalations() == 0
    _age(waiting["id"], 31)
    assert tasks.renotify_waiting_escalations() == 1
    run_fanouts()
    assert list(Notification.objects.filter(kind="waiting").values_list("handoff_id", flat=True)) == [
        Handoff.objects.get(pk=waiting["id"]).pk]


def test_an_admin_who_turned_email_off_gets_only_the_in_app_notification(
        api, acme_tech, acme_admin, django_capture_on_commit_callbacks):
    acme_admin.email_notifications = False
    acme_admin.save()
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    Delivery.objects.all().delete()
    _age(handoff["id"], 15)
    assert tasks.renotify_waiting_escalations() == 1
    run_fanouts()
    assert Notification.objects.filter(kind="waiting", user=acme_admin).count() == 1
    assert not Delivery.objects.exists()

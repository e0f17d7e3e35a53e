"""The retention job (issue #10, item 12): idempotency records past 24 h, old finished deliveries
with their attempts, old read notifications and old fanned-out events are deleted, in bounded
batches; everything still in use stays."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from escalations.models import EscalationEvent, IdempotencyRecord
from notifications import outbox, retention, tasks
from notifications.models import Delivery, DeliveryAttempt, Notification

DAY = timedelta(days=1)


def _aged(obj, age):
    type(obj).objects.filter(pk=obj.pk).update(created_at=timezone.now() - age)
    return obj


def _record(user, key, age):
    return _aged(IdempotencyRecord.objects.create(account=user.account, user=user, key=key, scope="s",
                                                  request_hash="h", response_status=201, response_body={}), age)


def _delivery(account, status, age, attempts=1, event=None):
    delivery = outbox.new(account_id=account.pk, kind="webhook", event_type="handoff.created", payload={"x": 1},
                          target="t")
    delivery.status = status
    delivery.event = event
    delivery.save()
    for n in range(1, attempts + 1):
        DeliveryAttempt.objects.create(delivery=delivery, number=n, started_at=timezone.now(), duration_ms=5,
                                       succeeded=status == "delivered")
    return _aged(delivery, age)


def _notification(user, *, read, age, event=None):
    note = Notification.objects.create(account=user.account, user=user, kind="escalation", title="t", event=event,
                                       read_at=timezone.now() if read else None)
    return _aged(note, age)


def _event(account, *, fanned_out, age):
    event = EscalationEvent.objects.create(account=account, type="handoff.created",
                                           fanned_out_at=timezone.now() if fanned_out else None)
    return _aged(event, age)


def _exists(obj):
    return type(obj).objects.filter(pk=obj.pk).exists()


def test_idempotency_records_go_after_the_24_hour_window(acme_tech):
    old = _record(acme_tech, "old", timedelta(hours=24, minutes=1))
    fresh = _record(acme_tech, "fresh", timedelta(hours=23))
    assert retention.purge_expired_rows()["idempotency_records"] == 1
    assert not _exists(old) and _exists(fresh)


def test_finished_deliveries_and_their_attempts_go_after_the_retention_period(acme):
    gone = [_delivery(acme, status, 31 * DAY, attempts=3) for status in ("delivered", "failed", "dead")]
    kept = [_delivery(acme, "pending", 60 * DAY), _delivery(acme, "sending", 60 * DAY),
            _delivery(acme, "delivered", 29 * DAY)]
    assert retention.purge_expired_rows()["deliveries"] == 3
    assert [_exists(d) for d in gone] == [False] * 3
    assert [_exists(d) for d in kept] == [True] * 3
    assert not DeliveryAttempt.objects.filter(delivery_id__in=[d.pk for d in gone]).exists()
    assert DeliveryAttempt.objects.count() == 3


def test_read_notifications_go_after_the_retention_period_and_unread_ones_stay(acme_tech):
    old_read = _notification(acme_tech, read=True, age=91 * DAY)
    old_unread = _notification(acme_tech, read=False, age=400 * DAY)
    recent_read = _notification(acme_tech, read=True, age=89 * DAY)
    assert retention.purge_expired_rows()["notifications"] == 1
    assert (_exists(old_read), _exists(old_unread), _exists(recent_read)) == (False, True, True)


def test_fanned_out_events_go_after_the_retention_period_and_what_points_at_them_stays(acme, acme_tech):
    old = _event(acme, fanned_out=True, age=31 * DAY)
    pending = _event(acme, fanned_out=False, age=90 * DAY)  # its fan-out has yet to run
    recent = _event(acme, fanned_out=True, age=29 * DAY)
    bell = _notification(acme_tech, read=False, age=31 * DAY, event=old)
    delivery = _delivery(acme, "pending", 31 * DAY, event=old)
    assert retention.purge_expired_rows()["events"] == 1
    assert (_exists(old), _exists(pending), _exists(recent)) == (False, True, True)
    assert Notification.objects.get(pk=bell.pk).event_id is None
    assert Delivery.objects.get(pk=delivery.pk).event_id is None


def test_the_periods_are_settings(acme, acme_tech, settings):
    settings.RETENTION_DELIVERY_DAYS = 2
    settings.RETENTION_NOTIFICATION_DAYS = 3
    settings.RETENTION_EVENT_DAYS = 4
    _delivery(acme, "delivered", 2 * DAY + timedelta(minutes=1))
    _notification(acme_tech, read=True, age=3 * DAY + timedelta(minutes=1))
    _event(acme, fanned_out=True, age=4 * DAY + timedelta(minutes=1))
    assert retention.purge_expired_rows() == {"idempotency_records": 0, "deliveries": 1, "notifications": 1,
                                              "events": 1}


def test_each_run_deletes_a_bounded_number_of_rows_oldest_first(acme):
    rows = [_delivery(acme, "delivered", (40 + i) * DAY, attempts=0) for i in range(5)]
    assert retention.purge_expired_rows(batch=2, batches=2)["deliveries"] == 4
    assert [_exists(d) for d in rows] == [True, False, False, False, False]  # the youngest is left
    assert retention.purge_expired_rows(batch=2, batches=2)["deliveries"] == 1
    assert retention.purge_expired_rows(batch=2, batches=2)["deliveries"] == 0


def test_the_batch_limits_come_from_the_settings(acme, settings):
    settings.RETENTION_BATCH_SIZE = 1
    settings.RETENTION_MAX_BATCHES = 2
    for _ in range(3):
        _delivery(acme, "dead", 40 * DAY, attempts=0)
    assert retention.purge_expired_rows()["deliveries"] == 2


def test_beat_runs_the_retention_task_hourly_and_the_task_purges(acme):
    entry = next(e for e in django_settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "notifications.tasks.purge_expired_rows")
    assert entry["schedule"] == 3600.0
    _delivery(acme, "delivered", 31 * DAY)
    assert tasks.purge_expired_rows()["deliveries"] == 1
    assert not Delivery.objects.exists()


def test_the_embedded_tick_command_purges_too(acme):
    _delivery(acme, "failed", 31 * DAY)
    out = StringIO()
    call_command("notifications_tick", stdout=out)
    assert "purged: 0 idempotency_records, 1 deliveries, 0 notifications, 0 events" in out.getvalue()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("name", ["RETENTION_DELIVERY_DAYS", "RETENTION_BATCH_SIZE", "SESSION_MAX_STEPS"])
def test_a_zero_period_or_cap_refuses_to_start(name):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], capture_output=True, text=True,
                            env={**__import__("os").environ, name: "0", "DJANGO_SETTINGS_MODULE":
                                 "resolutionflow.settings"})
    assert result.returncode != 0 and "must be positive" in result.stderr

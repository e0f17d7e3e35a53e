"""Celery tasks of the notifications app. Thin: they take ids and call the outbox.

Every task is idempotent (the outbox claims rows with a conditional UPDATE), `acks_late` (a
worker killed mid-task leaves the message to be redelivered; the claim makes the rerun
harmless) and bounded: a soft time limit above the HTTP timeouts, a hard one above that.
Retries are scheduled on the row (`next_attempt_at`, exponential backoff with jitter, 429's
Retry-After), not with `self.retry()`: the database is the schedule, so a retry survives a
lost message and the sweeper finds it. Routing (settings.CELERY_TASK_ROUTES): `deliver` on the
`notifications` queue, `deliver_psa` on `psa`.
"""

from celery import shared_task

from notifications import fanout, outbox, renotify, retention

DELIVERY_LIMITS = {"soft_time_limit": 45, "time_limit": 60}


@shared_task(name="notifications.tasks.fan_out_event", acks_late=True, ignore_result=True,
             soft_time_limit=110, time_limit=120)
def fan_out_event(event_id: str):
    """Write one escalation event's bells and outbox rows (notifications.fanout), once."""
    return fanout.fan_out(event_id)


@shared_task(name="notifications.tasks.sweep_events", acks_late=True, ignore_result=True,
             soft_time_limit=25, time_limit=30, expires=60)
def sweep_events():
    """Beat, every 30 s: queue again the fan-out of events whose task was lost."""
    return fanout.sweep_events()


@shared_task(name="notifications.tasks.deliver", acks_late=True, ignore_result=True, **DELIVERY_LIMITS)
def deliver(delivery_id: str):
    """Send one Slack/Teams/email/webhook delivery (one attempt)."""
    return outbox.attempt(delivery_id)


@shared_task(name="notifications.tasks.discover_psa_endpoints", acks_late=True, ignore_result=True,
             **DELIVERY_LIMITS)
def discover_psa_endpoints(connection_id: str):
    """After a PSA connection is saved: discover and keep its zone / authorisation server."""
    import logging

    from notifications.models import PSAConnection
    from notifications.transports import psa
    from resolutionflow.outbound import TransportError

    connection = PSAConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return None
    try:
        return psa.discover(connection)
    except TransportError as exc:  # the Integrations page's "Send a test" shows it too
        logging.getLogger(__name__).warning("PSA discovery for connection %s failed: %s", connection_id, exc)
        return None


@shared_task(name="notifications.tasks.deliver_psa", acks_late=True, ignore_result=True, **DELIVERY_LIMITS)
def deliver_psa(delivery_id: str):
    """Write one PSA ticket note (one attempt), on the `psa` queue."""
    return outbox.attempt(delivery_id)


@shared_task(name="notifications.tasks.dispatch_batch", acks_late=True, ignore_result=True,
             soft_time_limit=25, time_limit=30)
def dispatch_batch(ids: list):
    """Publish one `deliver`/`deliver_psa` task per delivery of a batch committed together."""
    return outbox.dispatch([(pk, kind) for pk, kind in ids])


@shared_task(name="notifications.tasks.sweep_deliveries", acks_late=True, ignore_result=True,
             soft_time_limit=25, time_limit=30, expires=60)
def sweep_deliveries():
    """Beat, every 30 s: re-queue due retries and lost dispatches."""
    return outbox.sweep()


@shared_task(name="notifications.tasks.renotify_waiting_escalations", acks_late=True, ignore_result=True,
             soft_time_limit=50, time_limit=60, expires=120)
def renotify_waiting_escalations():
    """Beat, every minute: tell the admins about escalations waiting unclaimed too long."""
    return renotify.renotify_waiting_escalations()


@shared_task(name="notifications.tasks.purge_expired_rows", acks_late=True, ignore_result=True,
             soft_time_limit=240, time_limit=300, expires=1800)
def purge_expired_rows():
    """Beat, hourly: delete rows past their retention period, in bounded batches (retention.py)."""
    return retention.purge_expired_rows()

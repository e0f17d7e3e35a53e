"""An escalation costs the request the same, whatever the account's size: a fixed number of
queries for 1 engineer or 200, with any number of channels and endpoints. Everything per
recipient and per channel is written by the worker's fan-out, from the event record."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalations import handoffs, services
from escalations.models import EscalationEvent
from notifications.models import Delivery, Notification
from tests.helpers import make_user, run_fanouts
from tests.notifications.builders import psa, slack, teams, webhook


def _escalate(owner, title):
    session = services.session_create(actor=owner, title=title, problem="p", psa_ticket_id="12")
    with CaptureQueriesContext(connection) as ctx:
        handoffs.handoff_create(session=session, actor=owner, intent="escalate", reason="r")
    return len(ctx)


def test_escalating_costs_the_same_queries_with_one_or_two_hundred_recipients(acme, acme_tech, acme_senior):
    slack(acme, "https://hooks.example.com/1")
    webhook(acme, "https://hooks.example.com/w1")
    psa(acme, "https://api.example.com")
    few = _escalate(acme_tech, "one")
    assert not Notification.objects.exists() and not Delivery.objects.exists()
    for i in range(5):
        slack(acme, f"https://hooks.example.com/s{i}")
        teams(acme, f"https://hooks.example.com/t{i}")
        webhook(acme, f"https://hooks.example.com/w{i}")
    for i in range(199):
        make_user(acme, f"eng{i}@acme.test", "engineer")
    many = _escalate(acme_tech, "two")
    assert many == few, (few, many)
    # The request wrote one event per escalation and nothing per recipient.
    assert EscalationEvent.objects.filter(fanned_out_at__isnull=True).count() == 2
    assert not Notification.objects.exists() and not Delivery.objects.exists()

    assert run_fanouts() == 2
    assert Notification.objects.filter(handoff__session__title="two").count() == 200
    # chat 11, emails 200, PSA 1, webhooks 6
    assert Delivery.objects.filter(handoff__session__title="two").count() == 11 + 200 + 1 + 6


def _fan_out_queries(event) -> list[str]:
    """The SQL of the event's whole fan-out (both phases)."""
    from notifications import fanout

    with CaptureQueriesContext(connection) as ctx:
        fanout.fan_out(event.pk)
    return [q["sql"] for q in ctx.captured_queries]


def test_the_fan_out_writes_every_bell_in_one_statement_for_one_or_two_hundred(acme, acme_tech, acme_senior):
    """The worker's side: the bells of 1 recipient or 200 are one INSERT, with no value per
    recipient passed from Python (the database makes the rows from the recipients' query), and
    the whole fan-out is a fixed number of queries."""
    session = services.session_create(actor=acme_tech, title="one", problem="p")
    handoffs.handoff_create(session=session, actor=acme_tech, intent="escalate", reason="r")
    few = len(_fan_out_queries(EscalationEvent.objects.get(handoff__session=session, type="handoff.created")))
    for i in range(199):
        make_user(acme, f"eng{i}@acme.test", "engineer")
    session = services.session_create(actor=acme_tech, title="two", problem="p")
    handoffs.handoff_create(session=session, actor=acme_tech, intent="escalate", reason="r")
    event = EscalationEvent.objects.get(handoff__session=session, type="handoff.created")
    queries = _fan_out_queries(event)
    assert len(queries) == few, (few, len(queries))
    inserts = [sql for sql in queries if sql.startswith('INSERT INTO "notifications_notification"')]
    notes = Notification.objects.filter(event=event)
    assert notes.count() == 200
    recipients = set(acme.users.filter(role__in=["engineer", "admin"], is_active=True).exclude(pk=acme_tech.pk)
                     .values_list("pk", flat=True))
    assert set(notes.values_list("user_id", flat=True)) == recipients
    assert len(inserts) == 1
    assert not any(str(pk) in inserts[0] or pk.hex in inserts[0] for pk in recipients), inserts[0][:500]
    assert set(notes.values_list("title", flat=True)) == {f"{acme_tech.display_name} escalated “two”"}

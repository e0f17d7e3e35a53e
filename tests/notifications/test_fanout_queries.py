"""The fan-out inside the escalation's transaction costs a fixed number of queries, however
many channels, endpoints and recipients the account has (one INSERT for all deliveries)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalations import handoffs, services
from notifications.models import Delivery
from tests.helpers import make_user
from tests.notifications.builders import psa, slack, teams, webhook


def _escalate(owner, title):
    session = services.session_create(actor=owner, title=title, problem="p", psa_ticket_id="12")
    with CaptureQueriesContext(connection) as ctx:
        handoffs.handoff_create(session=session, actor=owner, intent="escalate", reason="r")
    return len(ctx)


def test_escalating_costs_the_same_queries_with_one_or_many_targets(acme, acme_tech, acme_senior):
    slack(acme, "https://hooks.example.com/1")
    webhook(acme, "https://hooks.example.com/w1")
    psa(acme, "https://api.example.com")
    few = _escalate(acme_tech, "one")
    for i in range(5):
        slack(acme, f"https://hooks.example.com/s{i}")
        teams(acme, f"https://hooks.example.com/t{i}")
        webhook(acme, f"https://hooks.example.com/w{i}")
        make_user(acme, f"eng{i}@acme.test", "engineer")
    many = _escalate(acme_tech, "two")
    assert many == few, (few, many)
    assert Delivery.objects.filter(handoff__session__title="two").count() == 6 + 5 + 6 + 1 + 6

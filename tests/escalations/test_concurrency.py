"""Races closed in the database: concurrent claims, duplicate escalations (real PostgreSQL,
separate connections in separate threads, released together by a barrier)."""

import threading

import pytest
from django.db import connection

from escalations.models import Handoff
from notifications.models import Notification
from tests.helpers import escalate, make_session, make_user, run_fanouts, token_client

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls):
    """Run callables at the same instant, each in its own thread and DB connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.parametrize("claimers", [2, 20])
def test_concurrent_claims_have_exactly_one_winner(acme, acme_tech, claimers):
    session = make_session(token_client(acme_tech))
    handoff = escalate(token_client(acme_tech), session["id"]).json()
    engineers = [make_user(acme, f"eng{i}@acme.test", "engineer", f"Eng {i}") for i in range(claimers)]
    clients = [token_client(e) for e in engineers]
    url = f"/api/v1/handoffs/{handoff['id']}/claim"
    responses = _race([lambda c=c: c.post(url) for c in clients])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (claimers - 1)
    winner = Handoff.objects.get(pk=handoff["id"]).claimed_by
    for r in responses:
        if r.status_code == 409:
            assert r.json()["claimed_by"]["email"] == winner.email
    # The requester is told once who picked it up.
    run_fanouts()
    assert Notification.objects.filter(user=acme_tech, kind="claimed").count() == 1


def test_the_same_escalation_sent_concurrently_with_one_key_makes_one_handoff(acme_tech, acme_senior):
    session = make_session(token_client(acme_tech))
    clients = [token_client(acme_tech) for _ in range(5)]
    url = f"/api/v1/sessions/{session['id']}/escalate"
    responses = _race([lambda c=c: c.post(url, {"reason": "stuck"}, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
                       for c in clients])
    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.json()["id"] for r in responses}) == 1
    assert Handoff.objects.count() == 1
    run_fanouts()
    assert Notification.objects.filter(user=acme_senior).count() == 1


def test_concurrent_escalations_without_a_key_make_one_handoff(acme_tech, acme_senior):
    session = make_session(token_client(acme_tech))
    clients = [token_client(acme_tech) for _ in range(5)]
    url = f"/api/v1/sessions/{session['id']}/escalate"
    responses = _race([lambda c=c: c.post(url, {"reason": "stuck"}, format="json") for c in clients])
    assert sorted(r.status_code for r in responses) == [201] + [409] * 4
    handoff = Handoff.objects.get()
    assert all(r.json()["handoff_id"] == str(handoff.pk) for r in responses if r.status_code == 409)
    run_fanouts()
    assert Notification.objects.filter(user=acme_senior).count() == 1


def test_one_idempotency_key_on_two_sessions_at_once_is_one_201_and_one_409(acme_tech, acme_senior):
    """The key is the caller's: reused on another request it is a 409 (API.md), never a 500 from
    the unique constraint, and the losing escalation leaves nothing behind."""
    for _ in range(5):  # a race: try it several times
        Handoff.objects.all().delete()
        clients = [token_client(acme_tech) for _ in range(2)]
        sessions = [make_session(c) for c in clients]
        key = f"shared-{sessions[0]['id']}"
        responses = _race([
            lambda c=c, s=s, k=key: c.post(f"/api/v1/sessions/{s['id']}/escalate", {"reason": "stuck"}, format="json",
                                            HTTP_IDEMPOTENCY_KEY=k)
            for c, s in zip(clients, sessions, strict=True)])
        assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert "Idempotency-Key" in loser.json()["detail"]
        assert Handoff.objects.count() == 1  # the 409's handoff was rolled back


def test_claim_and_resolve_at_the_same_moment_never_deadlock(acme_tech, acme_senior):
    """Both take the session's row lock before the handoff's (one lock order): one of the two
    wins cleanly, the other gets a 4xx that says why, never a 500 (a deadlock)."""
    for i in range(10):
        tech = token_client(acme_tech)
        session = make_session(tech, title=f"Race {i}")
        handoff = escalate(tech, session["id"]).json()
        senior = token_client(acme_senior)
        claim_url = f"/api/v1/handoffs/{handoff['id']}/claim"
        resolve_url = f"/api/v1/sessions/{session['id']}/resolve"
        responses = _race([
            lambda s=senior, u=claim_url: s.post(u),
            lambda t=tech, u=resolve_url: t.post(u, {"resolution": "Fixed it"}, format="json"),
        ])
        codes = [r.status_code for r in responses]
        assert 500 not in codes and all(c < 500 for c in codes), [r.content for r in responses]
        assert 200 in codes

"""List and detail endpoints run a fixed number of queries whatever the row count."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalations import handoffs, services
from escalations.models import Handoff


def _seed(owner, n):
    for i in range(n):
        session = services.session_create(actor=owner, title=f"Ticket {i}", problem="p")
        services.step_add(session=session, actor=owner, action="a", result="r", outcome="worked")
        services.message_add(session=session, actor=owner, body="m")
        handoffs.handoff_create(session=session, actor=owner, intent="escalate", reason="r")


def _counts(clients, urls):
    # A token's first request of a minute also records when it was used (one UPDATE, at most once
    # a minute: accounts.auth); one request per client first, so that write is not counted here.
    for client in clients.values():
        assert client.get("/api/v1/me").status_code == 200
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            assert clients[name.split(":")[0]].get(url).status_code == 200, url
        counts[name] = len(ctx)
    return counts


def test_queue_detail_and_lists_run_the_same_queries_at_1_and_200_rows(api, acme_tech, acme_senior):
    clients = {"senior": api(acme_senior), "tech": api(acme_tech)}
    _seed(acme_tech, 1)
    first = Handoff.objects.get()
    urls = {
        "senior:queue": "/api/v1/handoffs?state=all",
        "senior:unclaimed": "/api/v1/handoffs",
        "senior:handoff": f"/api/v1/handoffs/{first.pk}",
        "senior:sessions": "/api/v1/sessions",
        "senior:session": f"/api/v1/sessions/{first.session_id}",
        "senior:notifications": "/api/v1/notifications",
        "tech:sessions": "/api/v1/sessions",
    }
    at_one = _counts(clients, urls)
    _seed(acme_tech, 199)
    at_two_hundred = _counts(clients, urls)
    assert at_one == at_two_hundred
    # Token auth costs 3 queries; each endpoint adds a handful on top, never one per row.
    assert max(at_two_hundred.values()) <= 10, at_two_hundred


def test_creating_a_session_answers_its_detail_from_one_insert(api, acme_tech, django_assert_max_num_queries):
    """POST /sessions answers what GET /sessions/{id} then says (a new session has no steps,
    messages or handoffs), without reading it back: the token read and the INSERT."""
    client = api(acme_tech)
    client.get("/api/v1/me")  # the token's once-a-minute last_used write, not counted below
    with django_assert_max_num_queries(2):
        created = client.post("/api/v1/sessions", {"title": "Outlook crashes", "problem": "On start",
                                                   "client_name": "Acme"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["steps"], body["messages"], body["steps_total"], body["messages_total"], body["open_handoff"]) == (
        [], [], 0, 0, None)
    assert client.get(f"/api/v1/sessions/{body['id']}").json() == body

"""The OpenAPI document tells the truth (issue #10 item 10).

1. schemathesis loads `/api/v1/schema/` from the app itself (WSGI, in-process, on the test
   database) and runs every operation with generated data (its examples, coverage and fuzzing
   phases: data that fits the document and data that does not), each request sent in turn by
   Acme's technician, engineer and admin, with every check it has (no 5xx; every status, content
   type, header and body documented; invalid data refused, valid data accepted; auth not ignored;
   undocumented methods 405; ...). Some generated path ids are Acme's real ones, so the success
   answers are checked too. Deterministic (fixed seed, no shrinking, no deadline); any failure
   fails the test, with the request to reproduce it.
2. A replay derived from the URL configuration: every API operation that takes an id in its path,
   called by Globex's technician, engineer and admin with Acme's real ids, answers exactly what an
   id that never existed gets: 404 (or the same role 403), never a 2xx.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from accounts.services import api_token_create, api_token_issue
from notifications.models import Delivery, DeliveryStatus, Notification, WebhookEndpoint
from tests.helpers import add_step, escalate, make_session, run_fanouts

SCHEMA_PATH = "/api/v1/schema/?format=json"
# Examples per operation and phase: enough to reach every documented answer, bounded for 2 cores.
MAX_EXAMPLES = int(os.environ.get("OPENAPI_CONFORMANCE_EXAMPLES", 20))
# Deterministic: the same requests every run. Set OPENAPI_CONFORMANCE_SEED to explore others.
SEED = int(os.environ.get("OPENAPI_CONFORMANCE_SEED", 10_10))


@pytest.fixture
def in_process_wsgi(monkeypatch, acme_world):
    """Django's WSGI handler, called in the test's thread and transaction. Django closes the
    database connection at the start and end of each request, which would end the test's
    transaction, so the signal is disconnected as the test client does (after acme_world: the test
    client connects it again after each of its requests)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Webhook URLs are checked for public addresses: resolve every host to one, without DNS.
    monkeypatch.setattr("resolutionflow.outbound.guard.resolve", lambda host, port: ["93.184.215.14"])
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def acme_world(api, acme_tech, acme_senior, acme_admin):
    """Acme's objects of every kind an API path names: sessions (open, escalated, handed off,
    resolved), handoffs (one to the queue, one to the engineer), notifications, a webhook and its
    deliveries, spare API tokens."""
    tech = api(acme_tech)
    session = make_session(tech)
    add_step(tech, session["id"])
    escalated = make_session(tech, title="VPN drops every hour")
    add_step(tech, escalated["id"])
    handoff = escalate(tech, escalated["id"]).json()
    handed = make_session(tech, title="Shift change: mailbox migration")
    handed_off = tech.post(f"/api/v1/sessions/{handed['id']}/handoff",
                           {"reason": "End of my shift", "target_user_id": str(acme_senior.pk)}, format="json")
    assert handed_off.status_code == 201, handed_off.content
    resolved = make_session(tech, title="Printer offline")
    assert tech.post(f"/api/v1/sessions/{resolved['id']}/resolve", {"resolution": "Power cycled"},
                     format="json").status_code == 200
    run_fanouts()
    webhook = WebhookEndpoint.objects.create(account=acme_admin.account, url="https://hooks.example.com/rf",
                                             events=["handoff.created"])
    # The webhook's deliveries (the first is the one two-id paths name): one to retry, one dead, one
    # delivered (a retry of it is 409).
    deliveries = [Delivery.objects.create(account=acme_admin.account, kind="webhook", event_type="handoff.created",
                                          endpoint=webhook, body="{}", status=status, attempts=1,
                                          last_error="HTTP 500 from hooks.example.com: oops")
                  for status in (DeliveryStatus.FAILED, DeliveryStatus.DEAD, DeliveryStatus.DELIVERED)]
    return {
        "session": [session["id"], escalated["id"], handed["id"], resolved["id"]],
        "handoff": [handoff["id"], handed_off.json()["id"]],
        # The escalation's bells of the engineer and the admin (the callers that can read them).
        "notification": [str(pk) for pk in Notification.objects.filter(user__in=[acme_senior, acme_admin])
                         .order_by("created_at").values_list("pk", flat=True)],
        "webhook": [str(webhook.pk)],
        "delivery": [str(d.pk) for d in deliveries],
        # API tokens that no caller authenticates with (revoking one must not log the caller out):
        # the technician's, the engineer's, the admin's.
        "token": [str(api_token_issue(user=user, name="Spare")[0].pk) for user in (acme_tech, acme_senior, acme_admin)],
        "tokens": {"acme_tech": api_token_create(user=acme_tech), "acme_senior": api_token_create(user=acme_senior),
                   "acme_admin": api_token_create(user=acme_admin)},
        "calls": 0,
    }


def _kind(parameter: str) -> str:
    """`session_id` -> `session`: the kind of object a path parameter names."""
    return parameter.removesuffix("_id")


# --- 1. schemathesis -----------------------------------------------------------------------------

CALLERS = ["acme_tech", "acme_senior", "acme_admin"]
# Stand-ins for Acme's real ids in generated paths, replaced by the test (the ids exist only then).
REAL_ID = "acme-{kind}-{index}"
REAL_ID_RE = re.compile(r"^acme-(\w+)-(\d+)$")


# Where the schema cannot say which valid-looking requests the API refuses, 400 is an expected
# answer to data that fits the document (everything else about those answers is still checked).
DATA_DEPENDENT_400 = [
    # `start` and `end` come together, lie between 2000-01-01 and tomorrow, at most 366 days apart.
    ("/api/v1/analytics/escalations", "start and end together, within bounds that move with today"),
    # The target must be an active member (an engineer or admin, to escalate) other than the caller.
    ("/api/v1/sessions/{session_id}/escalate", "target_user_id must name a teammate"),
    ("/api/v1/sessions/{session_id}/handoff", "target_user_id must name a teammate"),
    # The URL must be one Django's URLValidator accepts, of a host with public addresses only.
    ("/api/v1/webhooks", "the URL must be a valid http(s) URL of a public host"),
    ("/api/v1/webhooks/{webhook_id}", "PATCH: the URL must be a valid http(s) URL of a public host"),
    # A token's expiry must be in the future (and have a time zone).
    ("/api/v1/tokens", "expires_at must be a time zone's time in the future"),
]


def _config():
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True,
                       "mode": "all"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": False}},
        "operations": [
            {"include-path": path,
             "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404",
                                                                           "409", "429"]}}}
            for path, _why in DATA_DEPENDENT_400
        ],
    })


def _load_schema():
    """The document as the app serves it (generating it touches no database)."""
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler(), config=_config())


schema = _load_schema()


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Half of the generated ids stand for Acme's real ones, so 2xx answers are reached and checked."""
    names = re.findall(r"{(\w+)}", context.operation.path)
    real = st.fixed_dictionaries({
        name: st.sampled_from([REAL_ID.format(kind=_kind(name), index=i) for i in range(4)]) for name in names
    })
    return st.one_of(strategy, real)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_every_operation_answers_as_the_document_says(case, in_process_wsgi, acme_world):
    for name, value in list((case.path_parameters or {}).items()):
        match = REAL_ID_RE.match(str(value))
        if match:
            ids = acme_world[match[1]]
            case.path_parameters[name] = ids[int(match[2]) % len(ids)]
    # Each generated request is sent by the next of the three roles in turn.
    acme_world["calls"] += 1
    token = acme_world["tokens"][CALLERS[acme_world["calls"] % len(CALLERS)]]
    case.call_and_validate(app=in_process_wsgi, headers={"Authorization": f"Token {token}"})


# --- 2. Another account's ids, on every operation that takes one ---------------------------------

API_PREFIX = "/api/v1/"
NEVER_AN_ID = "00000000-0000-4000-8000-000000000000"


def _id_operations():
    """(method, OpenAPI path, path parameters) of every API operation with an id in its path,
    read from resolutionflow.urls: an endpoint added there is replayed without a line here."""
    from resolutionflow.urls import api_v1

    operations = []
    for pattern in api_v1:
        names = list(pattern.pattern.converters)
        view = getattr(pattern.callback, "view_class", None)
        if not names or view is None:
            continue
        path = API_PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        methods = [m for m in view.http_method_names if m not in ("head", "options", "trace") and hasattr(view, m)]
        assert methods, f"{path}: a view without a method"
        operations.extend((method, path, names) for method in methods)
    return operations


def _example(prop: dict, components: dict, teammate: str):
    """A valid value for one property of a request body, from the document."""
    if "$ref" in prop:
        return _example(components[prop["$ref"].rsplit("/", 1)[1]], components, teammate)
    if "allOf" in prop:
        return _example(prop["allOf"][0], components, teammate)
    if "enum" in prop:
        return prop["enum"][0]
    kind, form = prop.get("type"), prop.get("format")
    if kind == "array":
        return [_example(prop["items"], components, teammate)]
    if kind == "object":
        return {name: _example(sub, components, teammate) for name, sub in prop.get("properties", {}).items()}
    if form == "uuid":
        return teammate  # an id the caller could name (a target in its own account)
    if form == "uri":
        return "https://hooks.example.com/replay"
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, "Replayed")


def _valid_body(document: dict, method: str, path: str, teammate: str):
    """A body the operation would accept from its own account, built from the OpenAPI document."""
    operation = document["paths"].get(path, {}).get(method)
    assert operation is not None, f"{method.upper()} {path} is served but missing from the OpenAPI document"
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _example(content["application/json"]["schema"], document["components"]["schemas"], teammate)


@pytest.mark.parametrize("who", ["globex_tech", "globex_senior", "globex_admin"])
def test_another_accounts_ids_are_404_on_every_operation_that_takes_one(request, api, acme_world, acme_senior,
                                                                        acme_admin, globex_senior, who):
    """Globex's people get what they get for an id that never existed: 404 once their role may
    do the operation (an admin may do them all), or the same role 403 as for a missing id. Never
    an answer that tells an Acme object exists, never a 2xx. Then Acme's engineer or admin make the
    same calls and get something else than 404, so the ids were live."""
    document = schema.raw_schema
    caller = api(request.getfixturevalue(who))
    teammate = str(globex_senior.pk)
    replayed = []
    for method, path, names in _id_operations():
        kinds = {name: _kind(name) for name in names}
        missing = [kind for kind in kinds.values() if not acme_world.get(kind)]
        assert not missing, (f"{method.upper()} {path} takes a {', '.join(missing)} id and acme_world has no "
                             f"such object: add one so the replay tries it")
        body = _valid_body(document, method, path, teammate)
        never = getattr(caller, method)(_fill(path, {name: NEVER_AN_ID for name in names}), body, format="json")
        for ids in _id_choices(acme_world, kinds):
            url = _fill(path, ids)
            answer = getattr(caller, method)(url, body, format="json")
            assert answer.status_code in (403, 404), (who, method, url, answer.status_code, answer.content)
            if who == "globex_admin":
                assert answer.status_code == 404, (who, method, url, answer.status_code, answer.content)
            assert (answer.status_code, answer.json()) == (never.status_code, never.json()), (
                f"{who} {method.upper()} {url}: Acme's id answers differently from an id that never existed")
            replayed.append((method, path, url))

    # The same calls by Acme's own people reach the objects (any answer but 404), deletions last.
    owners = [api(acme_senior), api(acme_admin)]
    for method, path, url in sorted(set(replayed), key=lambda call: call[0] == "delete"):
        body = _valid_body(document, method, path, teammate)
        answers = [getattr(owner, method)(url, body, format="json").status_code for owner in owners]
        assert any(status != 404 for status in answers), (method, url, answers)


def _fill(path: str, ids: dict) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(ids[m[1]]), path)


def _id_choices(world: dict, kinds: dict) -> list[dict]:
    """Every id of the world for one-id paths (sessions in each state); the first of each kind otherwise."""
    if len(kinds) == 1:
        (name, kind), = kinds.items()
        return [{name: value} for value in world[kind]]
    return [{name: world[kind][0] for name, kind in kinds.items()}]


# --- 3. What schemathesis found, pinned ----------------------------------------------------------

def test_the_document_lists_the_errors_of_every_operation():
    document = schema.raw_schema
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "403", "406", "413", "429"} <= statuses, (method, path, statuses)
            paginated = any(p["name"] == "page" for p in operation.get("parameters", []) if p["in"] == "query")
            assert ("404" in statuses) == ("{" in path or paginated), (method, path)
            assert ("415" in statuses) == ("requestBody" in operation), (method, path)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
    conflicts = {(m, p) for p, ms in document["paths"].items() for m, op in ms.items() if "409" in op["responses"]}
    assert conflicts == {("post", f"/api/v1/sessions/{{session_id}}/{verb}")
                         for verb in ("steps", "messages", "resolve", "escalate", "handoff")} | {
        ("post", "/api/v1/handoffs/{handoff_id}/claim"),
        ("post", "/api/v1/webhooks/{webhook_id}/test"),
        ("post", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")}
    components = document["components"]["schemas"]
    for name in ("HandoffDetail", "HandoffSummary", "OpenHandoff"):
        assert components[name]["properties"]["target_user"]["nullable"] is True
    for name in ("HandoffDetail", "HandoffSummary"):
        assert components[name]["properties"]["claimed_by"]["nullable"] is True
    assert components["Message"]["properties"]["author"]["nullable"] is True
    assert components["SessionList"]["properties"]["open_handoff"]["nullable"] is True
    for name in ("disabled_at", "previous_secret_expires_at"):
        assert components["WebhookEndpoint"]["properties"][name]["nullable"] is True
    for name in ("next_attempt_at", "last_status_code"):
        assert components["WebhookDelivery"]["properties"][name]["nullable"] is True


def test_text_fields_take_strings_of_their_length_as_sent(api, acme_tech):
    client = api(acme_tech)
    response = client.post("/api/v1/sessions", {"title": "Printer", "problem": 1e3}, format="json")
    assert response.status_code == 400
    assert response.json() == {"problem": ["Not a valid string."]}
    response = client.post("/api/v1/sessions", {"title": " " + "t" * 200, "problem": "Offline"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"title": ["Ensure this field has no more than 200 characters."]}


def test_bodies_are_json_only(api, acme_tech):
    response = api(acme_tech).post("/api/v1/sessions", "title=Printer&problem=Offline",
                                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "detail" in response.json()


def test_an_api_url_no_route_matches_is_a_json_404(api, acme_tech, client):
    response = api(acme_tech).get("/api/v1/sessions/a%2Fb%2Fc")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_empty_query_parameter_is_an_absent_one(api, acme_senior):
    client = api(acme_senior)
    for url in ("/api/v1/handoffs?state=", "/api/v1/sessions?owner=&status=", "/api/v1/notifications?unread=",
                "/api/v1/sessions?page="):
        assert client.get(url).status_code == 200, url

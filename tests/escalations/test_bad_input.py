"""Bad input gets a clear 4xx and writes nothing."""

import pytest

from escalations.models import Handoff, Message, PilotSession, Step
from tests.helpers import make_session


def _counts():
    return (PilotSession.objects.count(), Step.objects.count(), Message.objects.count(), Handoff.objects.count())


@pytest.fixture
def tech(api, acme_tech):
    return api(acme_tech)


@pytest.fixture
def session(tech):
    return make_session(tech)


def test_malformed_json_is_400_with_a_message(tech, session):
    before = _counts()
    for url in ("/api/v1/sessions", f"/api/v1/sessions/{session['id']}/steps",
                f"/api/v1/sessions/{session['id']}/escalate"):
        response = tech.post(url, '{"title": "x", ', content_type="application/json")
        assert response.status_code == 400, url
        assert "JSON parse error" in response.json()["detail"]
    assert _counts() == before


def test_a_json_array_instead_of_an_object_is_400(tech):
    response = tech.post("/api/v1/sessions", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert PilotSession.objects.count() == 0


def test_missing_fields_name_each_field(tech, session):
    response = tech.post("/api/v1/sessions", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "problem"}
    response = tech.post(f"/api/v1/sessions/{session['id']}/steps", {"action": "x"}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()
    response = tech.post(f"/api/v1/sessions/{session['id']}/escalate", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert Step.objects.count() == 0 and Handoff.objects.count() == 0


def test_an_unknown_outcome_is_400(tech, session):
    response = tech.post(f"/api/v1/sessions/{session['id']}/steps",
                         {"action": "x", "result": "", "outcome": "maybe"}, format="json")
    assert response.status_code == 400
    assert "outcome" in response.json()


def test_oversize_text_is_400_and_writes_nothing(tech, session):
    before = _counts()
    response = tech.post("/api/v1/sessions", {"title": "t" * 201, "problem": "p"}, format="json")
    assert response.status_code == 400 and "title" in response.json()
    response = tech.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "m" * 10_001}, format="json")
    assert response.status_code == 400 and "body" in response.json()
    response = tech.post(f"/api/v1/sessions/{session['id']}/escalate", {"reason": "r" * 2_001}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert _counts() == before


def test_an_oversize_body_is_413(tech):
    response = tech.post("/api/v1/sessions", {"title": "t", "problem": "p" * 300_000}, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert PilotSession.objects.count() == 0


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"])
def test_bad_uuids_are_404_not_500(tech, bad_id, api, acme_senior):
    assert tech.get(f"/api/v1/sessions/{bad_id}").status_code == 404
    assert tech.post(f"/api/v1/sessions/{bad_id}/steps", {}, format="json").status_code == 404
    senior = api(acme_senior)
    assert senior.get(f"/api/v1/handoffs/{bad_id}").status_code == 404
    assert senior.post(f"/api/v1/handoffs/{bad_id}/claim").status_code == 404
    assert senior.post(f"/api/v1/notifications/{bad_id}/read").status_code == 404


def test_a_bad_target_uuid_is_400(tech, session):
    response = tech.post(f"/api/v1/sessions/{session['id']}/escalate",
                         {"reason": "r", "target_user_id": "nope"}, format="json")
    assert response.status_code == 400 and "target_user_id" in response.json()
    assert Handoff.objects.count() == 0


def test_bad_filters_are_400(api, acme_senior):
    senior = api(acme_senior)
    assert senior.get("/api/v1/handoffs?state=bogus").status_code == 400
    assert senior.get("/api/v1/sessions?status=bogus").status_code == 400
    assert senior.get("/api/v1/sessions?owner=bogus").status_code == 400


def test_writing_to_a_resolved_session_is_409(tech, session):
    assert tech.post(f"/api/v1/sessions/{session['id']}/resolve", {"resolution": "Rebooted"},
                     format="json").status_code == 200
    response = tech.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "again"}, format="json")
    assert response.status_code == 409
    assert Message.objects.count() == 0

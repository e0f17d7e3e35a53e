import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_tokens_revoke
from tests.helpers import escalate, make_session


def test_me_describes_the_user_and_account(api, acme_senior):
    body = api(acme_senior).get("/api/v1/me").json()
    assert body == {"id": str(acme_senior.pk), "email": "senior@acme.test", "name": "Sam Senior",
                    "role": "engineer", "time_zone": "UTC",
                    "account": {"id": str(acme_senior.account_id), "name": "Acme MSP", "time_zone": "UTC"}}


def test_no_credentials_is_401(db):
    assert APIClient().get("/api/v1/me").status_code == 401
    assert APIClient().get("/api/v1/sessions").status_code == 401


def test_a_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/me").status_code == 401


def test_a_revoked_token_fails(api, acme_tech):
    client = api(acme_tech)
    assert client.get("/api/v1/me").status_code == 200
    api_tokens_revoke(user=acme_tech)
    assert client.get("/api/v1/me").status_code == 401


def test_a_deactivated_users_token_fails(api, acme_tech):
    client = api(acme_tech)
    acme_tech.is_active = False
    acme_tech.save()
    assert client.get("/api/v1/me").status_code == 401


def test_create_api_token_prints_a_working_token_as_its_last_line(acme_tech):
    out = io.StringIO()
    call_command("create_api_token", "TECH@acme.test", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me").json()["email"] == "tech@acme.test"
    token = ApiToken.objects.get(user=acme_tech)
    assert key not in (token.digest, token.token_key)  # stored hashed


def test_create_api_token_for_an_unknown_email_fails_clearly(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody@acme.test")


def test_technicians_get_403_on_the_queue_and_on_claim(api, acme_tech, acme_tech2, acme_senior):
    tech = api(acme_tech)
    session = make_session(tech)
    handoff = escalate(tech, session["id"]).json()
    for user in (acme_tech, acme_tech2):
        client = api(user)
        assert client.get("/api/v1/handoffs").status_code == 403
        response = client.post(f"/api/v1/handoffs/{handoff['id']}/claim")
        assert response.status_code == 403
        assert "engineers and admins" in response.json()["detail"]


def test_only_the_session_owner_writes_steps(api, acme_tech, acme_senior):
    session = make_session(api(acme_tech))
    response = api(acme_senior).post(f"/api/v1/sessions/{session['id']}/steps",
                                     {"action": "a", "result": "b", "outcome": "worked"}, format="json")
    assert response.status_code == 403


def test_a_technician_cannot_read_a_colleagues_session(api, acme_tech, acme_tech2, acme_senior):
    session = make_session(api(acme_tech))
    assert api(acme_tech2).get(f"/api/v1/sessions/{session['id']}").status_code == 404
    assert api(acme_senior).get(f"/api/v1/sessions/{session['id']}").status_code == 200
    assert api(acme_tech2).get("/api/v1/sessions").json()["count"] == 0


def test_a_technician_sees_sessions_handed_to_them(api, acme_tech, acme_tech2):
    tech = api(acme_tech)
    session = make_session(tech)
    response = tech.post(f"/api/v1/sessions/{session['id']}/handoff",
                         {"reason": "Shift change", "target_user_id": str(acme_tech2.pk)}, format="json")
    assert response.status_code == 201, response.content
    listed = api(acme_tech2).get("/api/v1/sessions").json()
    assert [s["id"] for s in listed["results"]] == [session["id"]]
    # The target teammate takes it over by claiming the handoff addressed to them.
    claim = api(acme_tech2).post(f"/api/v1/handoffs/{response.json()['id']}/claim")
    assert claim.status_code == 200
    assert api(acme_tech2).get(f"/api/v1/sessions/{session['id']}").json()["owner"]["email"] == "tech2@acme.test"


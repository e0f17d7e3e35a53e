"""Personal API tokens people manage themselves: GET/POST /api/v1/tokens, DELETE /api/v1/tokens/{id}."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.auth import touch_last_used
from accounts.models import ApiToken

URL = "/api/v1/tokens"


def with_key(key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def create(client, **body):
    return client.post(URL, {"name": "PSA sync", **body}, format="json")


def updates_of_tokens(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "accounts_apitoken" in q["sql"]]


def test_a_new_token_is_shown_once_and_works_on_the_api(api, acme_tech):
    response = create(api(acme_tech), name="PSA sync")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "PSA sync"
    assert body["key"].startswith(body["prefix"]) and len(body["key"]) == 64
    assert body["expires_at"] is None and body["last_used_at"] is None
    assert body["user"]["email"] == "tech@acme.test"
    me = with_key(body["key"]).get("/api/v1/me")
    assert me.status_code == 200 and me.json()["email"] == "tech@acme.test"
    stored = ApiToken.objects.get(pk=body["id"])
    assert body["key"] not in (stored.digest, stored.token_key)  # only a hash is kept


def test_the_list_shows_name_prefix_and_last_use_but_never_the_key(api, acme_tech):
    client = api(acme_tech)
    key = create(client, name="Nightly report").json()["key"]
    with_key(key).get("/api/v1/me")
    listed = client.get(URL).json()
    by_name = {t["name"]: t for t in listed["results"]}
    nightly = by_name["Nightly report"]
    assert nightly["prefix"] == key[:15]
    assert nightly["last_used_at"] is not None
    assert set(nightly) == {"id", "name", "prefix", "created_at", "expires_at", "last_used_at", "user"}
    assert key not in str(listed)


def test_a_revoked_token_is_refused_from_then_on(api, acme_tech):
    client = api(acme_tech)
    created = create(client).json()
    assert with_key(created["key"]).get("/api/v1/me").status_code == 200
    assert client.delete(f"{URL}/{created['id']}").status_code == 204
    assert with_key(created["key"]).get("/api/v1/me").status_code == 401
    assert created["id"] not in [t["id"] for t in client.get(URL).json()["results"]]
    assert client.delete(f"{URL}/{created['id']}").status_code == 404


def test_a_token_past_its_expiry_is_refused_and_still_listed(api, acme_tech):
    client = api(acme_tech)
    expires = timezone.now() + timedelta(days=30)
    created = create(client, expires_at=expires.isoformat()).json()
    assert created["expires_at"] is not None
    assert with_key(created["key"]).get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=created["id"]).update(expiry=timezone.now() - timedelta(seconds=1))
    assert with_key(created["key"]).get("/api/v1/me").status_code == 401
    assert created["id"] in [t["id"] for t in client.get(URL).json()["results"]]  # kept, so it can be seen


@pytest.mark.parametrize(("body", "field"), [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": 42}, "name"),
    ({"name": "ok", "expires_at": "tomorrow"}, "expires_at"),
    ({"name": "ok", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
])
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(api, acme_tech, body, field):
    client = api(acme_tech)
    before = ApiToken.objects.count()
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ApiToken.objects.count() == before


def test_a_body_that_is_not_an_object_is_a_400(api, acme_tech):
    assert api(acme_tech).post(URL, ["name"], format="json").status_code == 400


def test_a_name_of_100_characters_is_fine(api, acme_tech):
    assert create(api(acme_tech), name="x" * 100).status_code == 201


def test_people_see_only_their_own_tokens(api, acme_tech, acme_senior):
    create(api(acme_senior), name="Senior's script")
    names = [t["name"] for t in api(acme_tech).get(URL).json()["results"]]
    assert "Senior's script" not in names


def test_another_members_token_is_404_for_a_non_admin(api, acme_tech, acme_senior):
    token = create(api(acme_tech), name="Mine").json()
    assert api(acme_senior).delete(f"{URL}/{token['id']}").status_code == 404
    assert with_key(token["key"]).get("/api/v1/me").status_code == 200


def test_only_admins_may_list_everyones_tokens(api, acme_tech, acme_senior):
    for user in (acme_tech, acme_senior):
        response = api(user).get(f"{URL}?all=true")
        assert response.status_code == 403
        assert "admins" in response.json()["detail"]


def test_an_unknown_all_value_is_a_400(api, acme_admin):
    assert api(acme_admin).get(f"{URL}?all=yes").json() == {"all": ["Use true or false."]}


def test_an_admin_lists_and_revokes_any_members_token(api, acme_tech, acme_admin, globex_tech):
    tech_token = create(api(acme_tech), name="Tech's sync").json()
    create(api(globex_tech), name="Globex secret")
    admin = api(acme_admin)
    listed = admin.get(f"{URL}?all=true").json()["results"]
    assert {t["user"]["email"] for t in listed} >= {"tech@acme.test", "admin@acme.test"}
    assert "Globex secret" not in [t["name"] for t in listed]
    assert [t["user"]["email"] for t in admin.get(URL).json()["results"]] == ["admin@acme.test"]  # own by default
    assert admin.delete(f"{URL}/{tech_token['id']}").status_code == 204
    assert with_key(tech_token["key"]).get("/api/v1/me").status_code == 401


def test_another_accounts_token_is_always_404(api, acme_admin, globex_admin, globex_tech):
    globex_token = create(api(globex_tech)).json()
    acme = api(acme_admin)
    assert acme.delete(f"{URL}/{globex_token['id']}").status_code == 404
    assert globex_token["id"] not in [t["id"] for t in acme.get(f"{URL}?all=true").json()["results"]]
    assert with_key(globex_token["key"]).get("/api/v1/me").status_code == 200
    assert api(globex_admin).delete(f"{URL}/{globex_token['id']}").status_code == 204


@pytest.mark.parametrize("token_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_or_malformed_id_is_404(api, acme_admin, token_id):
    assert api(acme_admin).delete(f"{URL}/{token_id}").status_code == 404


def test_last_used_is_written_at_most_once_a_minute(api, acme_tech):
    key = create(api(acme_tech)).json()["key"]
    client = with_key(key)
    token = ApiToken.objects.get(token_key=key[:15])
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/me")
    assert len(updates_of_tokens(first.captured_queries)) == 1
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as again:
        for _ in range(5):
            assert client.get("/api/v1/me").status_code == 200
    assert updates_of_tokens(again.captured_queries) == []
    token.refresh_from_db()
    assert token.last_used_at == first_use
    # A minute later (the stored time moved back instead of sleeping) the next request writes once.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as later:
        client.get("/api/v1/me")
        client.get("/api/v1/me")
    assert len(updates_of_tokens(later.captured_queries)) == 1
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(seconds=61)


def test_two_requests_that_both_read_a_stale_time_write_it_once(acme_tech, api):
    key = create(api(acme_tech)).json()["key"]
    stale = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(token_key=key[:15]).update(last_used_at=stale)
    first, second = (ApiToken.objects.get(token_key=key[:15]) for _ in range(2))
    now = timezone.now()
    assert touch_last_used(first, now=now) is True
    assert touch_last_used(second, now=now + timedelta(seconds=1)) is False  # the UPDATE's condition


def test_an_authenticated_request_does_constant_work_however_many_tokens(api, acme_tech,
                                                                          django_assert_max_num_queries):
    client = api(acme_tech)
    client.get("/api/v1/me")  # its first use is recorded
    for i in range(20):
        create(client, name=f"token {i}", expires_at=(timezone.now() + timedelta(days=1)).isoformat())
    ApiToken.objects.filter(user=acme_tech).exclude(name="CLI").update(expiry=timezone.now() - timedelta(days=1))
    # The token with its user (one query), the account of /me: no per-token work, no deletes.
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.filter(user=acme_tech).count() == 21


def test_a_deactivated_users_token_is_refused(api, acme_tech):
    key = create(api(acme_tech)).json()["key"]
    acme_tech.is_active = False
    acme_tech.save()
    assert with_key(key).get("/api/v1/me").status_code == 401


def test_create_api_token_names_the_token(acme_tech):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("create_api_token", "tech@acme.test", "--name", "Backup job", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(token_key=key[:15])
    assert token.name == "Backup job"
    assert with_key(key).get("/api/v1/me").status_code == 200
    call_command("create_api_token", "tech@acme.test", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.filter(user=acme_tech, name="CLI").count() == 1

"""GET /api/v1/users (issue #11): the account directory, for any member of the account."""

import pytest
from rest_framework.test import APIClient


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior", "acme_admin"])
def test_any_member_lists_the_accounts_people_and_nobody_elses(who, request, api, acme_tech, acme_senior,
                                                                acme_admin, globex_admin):
    acme_tech.is_active = False
    acme_tech.save(update_fields=["is_active"])
    caller = request.getfixturevalue(who)
    if not caller.is_active:
        caller = acme_admin
    response = api(caller).get("/api/v1/users")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3 and body["next"] is None
    assert body["results"] == [  # by name
        {"id": str(acme_admin.pk), "name": "Ada Admin", "email": "admin@acme.test", "role": "admin",
         "is_active": True},
        {"id": str(acme_senior.pk), "name": "Sam Senior", "email": "senior@acme.test", "role": "engineer",
         "is_active": True},
        {"id": str(acme_tech.pk), "name": "Tina Tech", "email": "tech@acme.test", "role": "technician",
         "is_active": False},
    ]
    assert "globex" not in response.content.decode()


def test_a_deactivated_users_token_is_refused(api, acme_tech):
    client = api(acme_tech)
    acme_tech.is_active = False
    acme_tech.save(update_fields=["is_active"])
    assert client.get("/api/v1/users").status_code in (401, 403)


@pytest.mark.parametrize("role, names", [
    ("technician", ["Theo Tech", "Tina Tech"]), ("engineer", ["Sam Senior"]), ("admin", ["Ada Admin"]),
    ("", ["Ada Admin", "Sam Senior", "Theo Tech", "Tina Tech"]),
])
def test_role_filters_the_directory(role, names, api, acme_tech, acme_tech2, acme_senior, acme_admin, globex_tech):
    response = api(acme_tech).get("/api/v1/users", {"role": role})
    assert response.status_code == 200
    assert [u["name"] for u in response.json()["results"]] == names


@pytest.mark.parametrize("role", ["superuser", "Admin", "technician,admin", "0"])
def test_a_bad_role_is_400(role, api, acme_tech):
    response = api(acme_tech).get("/api/v1/users", {"role": role})
    assert response.status_code == 400
    assert list(response.json()) == ["role"]


def test_pages_of_50(api, acme, acme_tech):
    from tests.helpers import make_user

    for i in range(55):
        make_user(acme, f"u{i:02}@acme.test", "technician", f"User {i:02}")
    client = api(acme_tech)
    first = client.get("/api/v1/users").json()
    assert first["count"] == 56 and len(first["results"]) == 50 and first["next"]
    assert len(client.get("/api/v1/users", {"page": 2}).json()["results"]) == 6
    assert client.get("/api/v1/users", {"page": 3}).status_code == 404


def test_anonymous_gets_401():
    assert APIClient().get("/api/v1/users").status_code == 401


def test_the_openapi_document_describes_the_directory(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/users"]["get"]
    [role] = [p for p in operation["parameters"] if p["name"] == "role"]
    assert sorted(role["schema"]["enum"]) == ["admin", "engineer", "technician"]
    assert set(schema["components"]["schemas"]["DirectoryUser"]["required"]) == {"id", "name", "email", "role",
                                                                                  "is_active"}

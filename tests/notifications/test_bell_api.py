"""The notifications API behind the bell: list, unread filter, mark one / all read."""

from tests.helpers import escalate, make_session, run_fanouts


def _escalate_twice(api, tech_user):
    tech = api(tech_user)
    for title in ("Printer", "VPN"):
        escalate(tech, make_session(tech, title=title)["id"])
        run_fanouts()


def test_lists_own_notifications_newest_first_with_the_contract_fields(api, acme_tech, acme_senior):
    _escalate_twice(api, acme_tech)
    body = api(acme_senior).get("/api/v1/notifications").json()
    assert body["count"] == 2
    first = body["results"][0]
    assert set(first) == {"id", "kind", "title", "body", "link", "created_at", "read_at"}
    assert "VPN" in first["title"] and first["read_at"] is None
    assert first["link"].endswith("?pickup=true")
    assert api(acme_tech).get("/api/v1/notifications").json()["count"] == 0


def test_mark_one_read_then_the_unread_filter_skips_it(api, acme_tech, acme_senior):
    _escalate_twice(api, acme_tech)
    senior = api(acme_senior)
    note = senior.get("/api/v1/notifications").json()["results"][0]
    response = senior.post(f"/api/v1/notifications/{note['id']}/read")
    assert response.status_code == 200 and response.json()["read_at"]
    unread = senior.get("/api/v1/notifications?unread=true").json()
    assert [n["id"] for n in unread["results"]] != [note["id"]] and unread["count"] == 1
    # Marking again keeps the first read time.
    again = senior.post(f"/api/v1/notifications/{note['id']}/read").json()
    assert again["read_at"] == response.json()["read_at"]


def test_mark_all_read_touches_only_my_notifications(api, acme_tech, acme_senior, acme_senior2):
    _escalate_twice(api, acme_tech)
    response = api(acme_senior).post("/api/v1/notifications/read-all")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert api(acme_senior).get("/api/v1/notifications?unread=true").json()["count"] == 0
    assert api(acme_senior2).get("/api/v1/notifications?unread=true").json()["count"] == 2


def test_someone_elses_notification_is_a_404(api, acme_tech, acme_senior, acme_senior2):
    _escalate_twice(api, acme_tech)
    note = api(acme_senior).get("/api/v1/notifications").json()["results"][0]
    assert api(acme_senior2).post(f"/api/v1/notifications/{note['id']}/read").status_code == 404

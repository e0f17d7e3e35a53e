"""/settings/notifications: each user turns email and chat mentions on or off for themselves."""

from notifications.models import ChatIdentity


def _login(client, user):
    client.force_login(user)  # axes needs a request for a password sign-in


def test_the_page_shows_the_users_current_choices(client, acme_senior):
    acme_senior.chat_mentions = False
    acme_senior.save()
    _login(client, acme_senior)
    response = client.get("/settings/notifications")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Notification settings" in html
    assert 'id="id_email_notifications" checked>' in html
    assert 'id="id_chat_mentions">' in html  # unchecked


def test_a_user_turns_email_off_and_sets_a_slack_member_id(client, acme_senior):
    _login(client, acme_senior)
    response = client.post("/settings/notifications", {"chat_mentions": "on", "slack_member_id": "U012AB3CD"})
    assert response.status_code == 302
    acme_senior.refresh_from_db()
    assert (acme_senior.email_notifications, acme_senior.chat_mentions) == (False, True)
    assert ChatIdentity.objects.get(user=acme_senior).slack_member_id == "U012AB3CD"


def test_a_bad_slack_member_id_is_refused(client, acme_senior):
    _login(client, acme_senior)
    response = client.post("/settings/notifications", {"slack_member_id": "not an id"})
    assert response.status_code == 200
    assert "looks like U012AB3CD" in response.content.decode()
    acme_senior.refresh_from_db()
    assert acme_senior.email_notifications is True


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/settings/notifications")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_is_linked_from_the_navigation(client, acme_tech):
    _login(client, acme_tech)
    html = client.get("/sessions/").content.decode()
    assert 'href="/settings/notifications"' in html

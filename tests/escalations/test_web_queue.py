"""The escalation queue page and its fragments (server-rendered; the browser tests drive the rest)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from escalations.models import Handoff
from tests.helpers import add_step, browser_client, escalate, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_handoff(api, acme_tech):
    tech = api(acme_tech)
    session = make_session(tech, title="Outlook keeps asking for password")
    add_step(tech, session["id"], action="Cleared cached credentials")
    response = escalate(tech, session["id"], reason="Stuck after clearing creds")
    assert response.status_code == 201
    return Handoff.objects.get(pk=response.json()["id"])


def test_staff_see_the_queue_region_with_the_card_and_the_metric_card(open_handoff, acme_senior):
    page = browser_client(acme_senior).get("/escalations/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-label="Escalation queue"' in html
    assert f'data-handoff-id="{open_handoff.pk}"' in html
    assert "Outlook keeps asking for password" in html and "Stuck after clearing creds" in html
    assert "Tina Tech" in html and "1 step tried" in html and "Assessment pending" in html
    assert "Time to claim" in html and "Time to first action" in html and "Last 7 days" in html
    assert 'href="/escalations/"' in html and 'aria-current="page"' in html  # the Queue nav link


def test_technicians_are_sent_to_their_sessions_with_a_message(acme_tech):
    client = browser_client(acme_tech)
    response = client.get("/escalations/", follow=True)
    assert response.redirect_chain[-1][0] == "/sessions/"
    assert "The escalation queue is for engineers and admins." in response.content.decode()
    assert 'href="/escalations/"' not in response.content.decode()
    assert client.get("/escalations/cards").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get("/escalations/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_card_fragment_is_one_card_and_404_once_claimed(open_handoff, acme_senior, api):
    client = browser_client(acme_senior)
    card = client.get(f"/escalations/{open_handoff.pk}/card")
    assert card.status_code == 200 and card.content.decode().count('<li class="hcard') == 1
    assert api(acme_senior).post(f"/api/v1/handoffs/{open_handoff.pk}/claim").status_code == 200
    assert client.get(f"/escalations/{open_handoff.pk}/card").status_code == 404
    assert f'data-handoff-id="{open_handoff.pk}"' not in client.get("/escalations/cards").content.decode()


def test_another_accounts_cards_and_context_are_not_found(open_handoff, globex_senior):
    client = browser_client(globex_senior)
    assert client.get(f"/escalations/{open_handoff.pk}/card").status_code == 404
    assert client.get(f"/escalations/{open_handoff.pk}/context").status_code == 404
    assert str(open_handoff.pk) not in client.get("/escalations/cards").content.decode()
    assert str(open_handoff.pk) not in client.get("/escalations/").content.decode()


def test_a_card_waiting_past_the_policy_says_how_long_and_shows_the_renotified_marker(open_handoff, acme_senior):
    Handoff.objects.filter(pk=open_handoff.pk).update(
        created_at=timezone.now() - timedelta(minutes=12, seconds=5), admins_renotified_at=timezone.now())
    html = browser_client(acme_senior).get(f"/escalations/{open_handoff.pk}/card").content.decode()
    assert "is-waiting" in html
    assert 'waiting <span data-waiting-minutes>12</span> min' in html
    assert "Admins re-notified" in html


def test_a_fresh_card_hides_the_waiting_marker(open_handoff, acme_senior):
    html = browser_client(acme_senior).get(f"/escalations/{open_handoff.pk}/card").content.decode()
    assert "data-waiting hidden" in html and "Admins re-notified" not in html and "just now" in html


def test_the_metric_card_reads_the_analytics_queue_summary(open_handoff, acme_senior, api):
    Handoff.objects.filter(pk=open_handoff.pk).update(created_at=timezone.now() - timedelta(seconds=90))
    assert api(acme_senior).post(f"/api/v1/handoffs/{open_handoff.pk}/claim").status_code == 200
    html = browser_client(acme_senior).get("/escalations/").content.decode()
    assert '<dd data-metric="today-claimed">1</dd>' in html
    assert any(f'<dd data-metric="today-claim">1 min {s} s</dd>' in html for s in (30, 31))
    assert '<dd data-metric="today-action">—</dd>' in html


@pytest.mark.parametrize("seconds, text", [(10, "just now"), (60, "1 min ago"), (3600 + 300, "1 h 5 min ago"),
                                           (7200, "2 h ago"), (86400 + 60, "1 day ago"), (86400 * 59, "59 days ago")])
def test_ages_read_like_a_person_would_say_them(seconds, text):
    from escalations.templatetags.escalation_ui import age

    assert age(seconds) == text

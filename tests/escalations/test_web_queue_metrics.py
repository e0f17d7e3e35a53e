"""The queue's metric card as a fragment (/escalations/metrics): what queue.js fetches after a claim
frame, so "Today" moves with the claims (issue #12 item 4)."""

import re

import pytest

from escalations.models import Handoff
from tests.helpers import browser_client, escalate, make_session

pytestmark = pytest.mark.django_db


def _today(html: str) -> dict:
    return dict(re.findall(r'data-metric="(today-[a-z]+)">([^<]*)<', html))


@pytest.fixture
def claimed_by_sue(api, acme_tech, acme_senior2):
    tech = api(acme_tech)
    response = escalate(tech, make_session(tech, title="Printer offline")["id"])
    assert response.status_code == 201
    before = browser_client(acme_senior2).get("/escalations/metrics").content.decode()
    assert api(acme_senior2).post(f"/api/v1/handoffs/{response.json()['id']}/claim").status_code == 200
    return before, Handoff.objects.get(pk=response.json()["id"])


def test_the_metric_card_counts_a_claim_made_since_the_page_was_rendered(claimed_by_sue, acme_senior):
    before, _ = claimed_by_sue
    assert _today(before) == {"today-claim": "—", "today-action": "—", "today-claimed": "0"}
    response = browser_client(acme_senior).get("/escalations/metrics")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert 'data-metrics-url="/escalations/metrics"' in html and "Response times" in html
    today = _today(html)
    assert today["today-claimed"] == "1" and today["today-claim"] != "—"


def test_another_account_never_sees_the_claim(claimed_by_sue, globex_senior):
    assert _today(browser_client(globex_senior).get("/escalations/metrics").content.decode())["today-claimed"] == "0"


def test_technicians_get_403(acme_tech):
    assert browser_client(acme_tech).get("/escalations/metrics").status_code == 403

"""The session page: actions by role, suggested-step chips, the Context button, flashes."""

import pytest

from escalations.models import AssessmentStatus, Handoff, PilotSession, SessionStatus
from tests.helpers import add_step, browser_client, escalate, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(api, acme_tech):
    tech = api(acme_tech)
    s = make_session(tech, title="VPN drops every hour")
    add_step(tech, s["id"], action="Updated the VPN client")
    return s


def test_the_owner_gets_the_actions_the_step_form_and_the_message_box(session, acme_tech):
    html = browser_client(acme_tech).get(f"/pilot/{session['id']}").content.decode()
    for name in (">Escalate</button>", ">Hand off</button>", ">Resolve</button>", ">Add step</button>",
                 ">Send</button>"):
        assert name in html
    assert "Context" not in html  # never escalated: nothing to reopen
    assert "Updated the VPN client" in html


def test_staff_read_an_escalated_session_read_only_with_context(session, api, acme_tech, acme_senior):
    escalate(api(acme_tech), session["id"], reason="Need network eyes")
    html = browser_client(acme_senior).get(f"/pilot/{session['id']}").content.decode()
    assert "Waiting for an engineer." in html and "Read-only until someone claims it." in html
    assert "Context</button>" in html and ">Review and claim</button>" in html
    assert ">Escalate</button>" not in html and ">Add step</button>" not in html and ">Send</button>" not in html
    assert "data-watch-handoff" in html and "data-autopen-context" not in html


def test_the_pickup_link_opens_the_context_screen_for_staff(session, api, acme_tech, acme_senior):
    escalate(api(acme_tech), session["id"], reason="Need network eyes")
    html = browser_client(acme_senior).get(f"/pilot/{session['id']}?pickup=true").content.decode()
    assert "data-autopen-context" in html and 'id="context-dialog"' in html


def test_after_claiming_the_engineer_gets_the_chips_and_the_context_button_stays(session, api, acme_tech, acme_senior):
    handoff_id = escalate(api(acme_tech), session["id"], reason="Need network eyes").json()["id"]
    Handoff.objects.filter(pk=handoff_id).update(
        assessment_status=AssessmentStatus.READY,
        assessment={"summary": "s", "likely_causes": [], "confidence": 0.5, "similar_sessions": [],
                    "suggested_steps": ["Check the MTU on the tunnel", "Look at IKE rekey logs"]},
    )
    assert api(acme_senior).post(f"/api/v1/handoffs/{handoff_id}/claim").status_code == 200
    html = browser_client(acme_senior).get(f"/pilot/{session['id']}").content.decode()
    assert "You're on it." in html
    assert 'aria-labelledby="chips-label"' in html
    assert '<button type="button" class="chip" data-chip>Check the MTU on the tunnel</button>' in html
    assert "Context</button>" in html and ">Resolve</button>" in html


def test_the_technician_sees_who_picked_it_up_and_can_reopen_the_context(session, api, acme_tech, acme_senior):
    handoff_id = escalate(api(acme_tech), session["id"], reason="Need network eyes").json()["id"]
    api(acme_senior).post(f"/api/v1/handoffs/{handoff_id}/claim")
    html = browser_client(acme_tech).get(f"/pilot/{session['id']}").content.decode()
    assert "<strong>Sam Senior</strong> picked this up" in html and "Context</button>" in html


def test_actions_flash_their_outcome(session, acme_tech):
    client = browser_client(acme_tech)
    page = client.post(f"/pilot/{session['id']}/steps",
                       {"action": "Rebooted", "result": "No change", "outcome": "did_not_work"}, follow=True)
    assert "Step added to the timeline." in page.content.decode()
    page = client.post(f"/pilot/{session['id']}/escalate", {"reason": "Stuck"}, follow=True)
    assert "Escalated. Engineers have been notified." in page.content.decode()
    page = client.post(f"/pilot/{session['id']}/escalate", {"reason": "Again"}, follow=True)
    assert "already has an open handoff" in page.content.decode()
    page = client.post(f"/pilot/{session['id']}/resolve", {"resolution": "Replaced the router"}, follow=True)
    assert "Session resolved. Nice work." in page.content.decode()
    assert PilotSession.objects.get(pk=session["id"]).status == SessionStatus.RESOLVED


def test_the_sessions_list_has_status_tabs_and_the_queue_callout_for_staff(session, api, acme_tech, acme_senior):
    escalate(api(acme_tech), session["id"], reason="Need network eyes")
    html = browser_client(acme_senior).get("/sessions/").content.decode()
    assert 'aria-label="Filter by status"' in html and "Escalated <span class=\"tab-count\">1</span>" in html
    assert "waiting in the escalation queue" in html
    tech_html = browser_client(acme_tech).get("/sessions/?status=escalated").content.decode()
    assert "VPN drops every hour" in tech_html and "waiting in the escalation queue" not in tech_html


def test_the_bell_and_the_live_indicator_are_on_every_page(acme_tech):
    html = browser_client(acme_tech).get("/sessions/").content.decode()
    assert 'aria-label="Notifications"' in html and "data-rt-status" in html and "js/app.js" in html

"""The handoff context screen's content: four sections, graceful without an assessment."""

import pytest

from escalations.models import AssessmentStatus, Handoff, PilotSession, SessionStatus
from tests.helpers import add_step, browser_client, escalate, make_session

pytestmark = pytest.mark.django_db

ASSESSMENT = {
    "summary": "Modern auth token cache is stale after the password change.",
    "likely_causes": ["Stale ADAL token in Credential Manager", "Conditional access blocking legacy auth"],
    "suggested_steps": ["Check the sign-in logs in Entra ID", "Reset the Office identity registry key"],
    "confidence": 0.72,
    "similar_sessions": [{"id": "x", "title": "Outlook prompts after reset", "resolution": "Cleared the Identity key",
                          "score": 0.8}],
}


@pytest.fixture
def handoff(api, acme_tech):
    tech = api(acme_tech)
    session = make_session(tech, title="Outlook keeps asking for password")
    add_step(tech, session["id"], action="Cleared cached credentials", result="Still prompts")
    add_step(tech, session["id"], action="Recreated the profile", outcome="inconclusive", result="Better for 10 min")
    return Handoff.objects.get(pk=escalate(tech, session["id"], reason="Out of ideas").json()["id"])


def test_the_four_sections_with_the_real_timeline_and_start_here(handoff, acme_senior):
    html = browser_client(acme_senior).get(f"/escalations/{handoff.pk}/context").content.decode()
    for heading in ("The problem", "What's been tried", "AI assessment", "Suggested next steps"):
        assert heading in html
    assert html.index("Cleared cached credentials") < html.index("Recreated the profile")
    assert "Did not work" in html and "Inconclusive" in html and "Still prompts" in html
    assert 'id="context-title"' in html and "Out of ideas" in html
    assert ">Start here</button>" in html
    assert "Reading the session" in html  # pending


def test_a_ready_assessment_shows_summary_causes_confidence_and_suggestions(handoff, acme_senior):
    Handoff.objects.filter(pk=handoff.pk).update(assessment=ASSESSMENT, assessment_status=AssessmentStatus.READY)
    html = browser_client(acme_senior).get(f"/escalations/{handoff.pk}/context").content.decode()
    assert "Modern auth token cache is stale" in html
    assert "Stale ADAL token" in html and "Check the sign-in logs in Entra ID" in html
    assert "Outlook prompts after reset" in html
    # Stored before levels existed: no level is made up, and no percentage shown as "confidence".
    assert "72%" not in html and "confidence</span>" not in html


def test_the_confidence_level_and_the_sessions_each_suggestion_comes_from(handoff, acme, acme_senior):
    source = PilotSession.objects.create(account=acme, owner=acme_senior, title="Outlook prompts after reset",
                                         problem="p", status=SessionStatus.RESOLVED, resolution="Cleared the key")
    assessment = dict(ASSESSMENT, match="close", confidence_level="medium", confidence=0.6,
                      similar_sessions=[dict(ASSESSMENT["similar_sessions"][0], id=str(source.pk))],
                      suggestions=[{"text": "Check the sign-in logs in Entra ID", "session_ids": [str(source.pk)]},
                                   {"text": "Reset the Office identity registry key", "session_ids": []}])
    Handoff.objects.filter(pk=handoff.pk).update(assessment=assessment, assessment_status=AssessmentStatus.READY)
    html = browser_client(acme_senior).get(f"/escalations/{handoff.pk}/context").content.decode()
    assert '<span class="pill pill-conf-medium" data-confidence-level="medium">Medium confidence</span>' in html
    assert "60%" not in html
    assert (f'Check the sign-in logs in Entra ID <span class="muted small suggestion-sources">(from '
            f'<a href="/pilot/{source.pk}" data-suggestion-source>Outlook prompts after reset</a>)') in html
    assert f'<a class="similar-title" href="/pilot/{source.pk}">Outlook prompts after reset</a>' in html


def test_no_close_match_says_so_and_suggests_nothing(handoff, acme_senior):
    assessment = {"summary": "Shared calendar crash. No close match in your resolved sessions: nothing to suggest "
                             "from them.", "likely_causes": [], "suggested_steps": [], "confidence": 0.0,
                  "similar_sessions": [], "match": "none", "confidence_level": None, "suggestions": []}
    Handoff.objects.filter(pk=handoff.pk).update(assessment=assessment, assessment_status=AssessmentStatus.READY)
    html = browser_client(acme_senior).get(f"/escalations/{handoff.pk}/context").content.decode()
    assert '<span class="pill pill-ai-unavailable" data-match="none">No close match</span>' in html
    assert "<strong>No close match in your resolved sessions.</strong>" in html
    assert "next-steps" not in html and "confidence</span>" not in html


@pytest.mark.parametrize("status", [AssessmentStatus.FAILED, AssessmentStatus.TIMED_OUT, AssessmentStatus.READY])
def test_no_assessment_is_rendered_gracefully(handoff, acme_senior, status):
    Handoff.objects.filter(pk=handoff.pk).update(assessment=None, assessment_status=status)
    response = browser_client(acme_senior).get(f"/escalations/{handoff.pk}/context")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No AI assessment this time" in html and "No suggestions" in html and ">Start here</button>" in html


def test_the_requester_sees_the_context_without_start_here(handoff, acme_tech):
    response = browser_client(acme_tech).get(f"/escalations/{handoff.pk}/context")
    assert response.status_code == 200 and "Start here" not in response.content.decode()


def test_another_technician_gets_404(handoff, acme_tech2):
    assert browser_client(acme_tech2).get(f"/escalations/{handoff.pk}/context").status_code == 404


def test_after_a_claim_others_see_who_has_it(handoff, acme_senior, acme_senior2, api):
    assert api(acme_senior).post(f"/api/v1/handoffs/{handoff.pk}/claim").status_code == 200
    html = browser_client(acme_senior2).get(f"/escalations/{handoff.pk}/context").content.decode()
    assert "<strong>Sam Senior</strong> picked this up" in html and "Start here" not in html
    assert ">Open session</a>" in html

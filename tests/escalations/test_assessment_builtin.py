"""The builtin provider: similar resolved sessions of the same account, their fixes, ranked."""

import pytest
from django.db import connection

from escalations.assessment import AssessmentContext, get_provider
from escalations.assessment.deadline import Deadline
from escalations.assessment.similar import _python_scores
from escalations.models import PilotSession, SessionStatus
from tests.escalations.assessment_data import N, W, acme_history, escalation, resolved_session


@pytest.fixture
def history(acme, acme_senior, globex, globex_senior):
    sessions = acme_history(acme, acme_senior)
    sessions["globex_spooler"] = resolved_session(
        globex, globex_senior, title="Print spooler crashes when the front desk prints",
        problem="The Print Spooler service keeps crashing on the reception PC; jobs stuck in the print queue.",
        resolution="Globex secret fix: reinstalled the Globex print server.",
        steps=[("Reinstalled the Globex print server", W)],
    )
    return sessions


def spooler_escalation(acme, acme_tech, steps=()):
    return escalation(acme, acme_tech, title="Print spooler keeps crashing",
                      problem="The print spooler keeps crashing on the front desk PC, nobody can print.", steps=steps)


def test_spooler_escalation_ranks_the_acme_spooler_session_first_and_suggests_its_fix(history, acme, acme_tech):
    handoff = spooler_escalation(acme, acme_tech)
    result = get_provider("builtin").assess(AssessmentContext.from_handoff(handoff))
    similar = result.similar_sessions
    assert similar[0].id == str(history["spooler"].pk)
    assert similar[0].score > 0.5
    assert all(s.score < similar[0].score for s in similar[1:])
    # The step that worked there, as a next step to try here (it was logged as "Replaced ..."),
    # citing the session it comes from.
    assert result.suggested_steps[0] == "Replace the HP Universal PCL 6 driver with the model-specific M404 driver"
    assert result.suggestions[0].session_ids == [str(history["spooler"].pk)]
    assert any("HP Universal driver" in cause for cause in result.likely_causes)
    assert "Print spooler crashes when the front desk prints" in result.summary
    assert result.match == "close" and result.confidence == round(similar[0].score, 2)
    assert result.confidence_level in ("medium", "high")


def test_another_accounts_sessions_are_never_returned(history, acme, acme_tech, globex, globex_tech):
    handoff = spooler_escalation(acme, acme_tech)
    result = get_provider("builtin").assess(AssessmentContext.from_handoff(handoff))
    acme_ids = set(PilotSession.objects.filter(account=acme).values_list("pk", flat=True))
    assert result.similar_sessions and {s.id for s in result.similar_sessions} <= {str(pk) for pk in acme_ids}
    assert not any("Globex" in text for text in [result.summary, *result.likely_causes, *result.suggested_steps])

    globex_handoff = spooler_escalation(globex, globex_tech)
    globex_result = get_provider("builtin").assess(AssessmentContext.from_handoff(globex_handoff))
    assert [s.id for s in globex_result.similar_sessions] == [str(history["globex_spooler"].pk)]
    assert globex_result.suggested_steps == ["Reinstall the Globex print server"]


def test_steps_already_tried_are_not_suggested_again(history, acme, acme_tech):
    handoff = spooler_escalation(acme, acme_tech, steps=[
        ("Replaced the HP Universal PCL 6 driver with the model-specific M404 driver", N),
    ])
    result = get_provider("builtin").assess(AssessmentContext.from_handoff(handoff))
    assert result.similar_sessions[0].id == str(history["spooler"].pk)
    assert "Replaced the HP Universal PCL 6 driver with the model-specific M404 driver" not in result.suggested_steps
    assert "1 step tried (1 did not work)" in result.summary


def test_each_problem_finds_its_own_kind_of_session(history, acme, acme_tech):
    cases = {
        "vpn": ("VPN disconnects", "Remote staff VPN keeps disconnecting every hour."),
        "outlook": ("Outlook password prompts", "Outlook asks for the password again and again."),
        "dns": ("Cannot browse", "nslookup fails, DNS resolution times out for every user."),
    }
    for key, (title, problem) in cases.items():
        handoff = escalation(acme, acme_tech, title=title, problem=problem)
        result = get_provider("builtin").assess(AssessmentContext.from_handoff(handoff))
        assert result.similar_sessions[0].id == str(history[key].pk), key


def test_only_resolved_sessions_count(acme, acme_tech, acme_senior):
    PilotSession.objects.create(account=acme, owner=acme_senior, title="Print spooler keeps crashing",
                                problem="Print spooler keeps crashing", status=SessionStatus.ACTIVE)
    handoff = spooler_escalation(acme, acme_tech)
    result = get_provider("builtin").assess(AssessmentContext.from_handoff(handoff))
    assert result.similar_sessions == []
    assert result.suggested_steps == [] and result.likely_causes == []
    assert result.confidence == 0.0
    assert result.match == "none" and result.confidence_level is None
    assert "No close match in your resolved sessions" in result.summary


def test_the_embedded_fallback_ranks_the_same_way(history, acme, acme_tech):
    handoff = spooler_escalation(acme, acme_tech)
    scored = sorted(_python_scores(AssessmentContext.from_handoff(handoff)), key=lambda m: -m.score)
    assert scored[0].id == str(history["spooler"].pk)
    assert str(history["globex_spooler"].pk) not in {m.id for m in scored}
    assert scored[0].score > 2 * scored[1].score


def test_with_pg_trgm_installed_a_typo_in_the_title_still_finds_the_session(history, acme, acme_tech):
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    handoff = escalation(acme, acme_tech, title="Print spooller crashes when front desk prints",
                         problem="It crashes.")
    result = get_provider("builtin").assess(AssessmentContext.from_handoff(handoff), deadline=Deadline(5))
    assert result.similar_sessions[0].id == str(history["spooler"].pk)


def test_the_search_leaves_the_connections_statement_timeout_as_it_was(history, acme, acme_tech):
    def current():
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout" if connection.vendor == "postgresql" else "SELECT 0")
            return cursor.fetchone()[0]

    before = current()
    handoff = spooler_escalation(acme, acme_tech)
    get_provider("builtin").assess(AssessmentContext.from_handoff(handoff), deadline=Deadline(3))
    assert current() == before


def test_an_exhausted_deadline_times_the_builtin_search_out(history, acme, acme_tech, settings):
    from escalations.assessment.service import handoff_assess
    from escalations.models import Handoff

    settings.ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS = 0
    handoff = spooler_escalation(acme, acme_tech)
    assert handoff_assess(handoff_id=str(handoff.pk)) == "timed_out"
    assert Handoff.objects.get(pk=handoff.pk).assessment is None

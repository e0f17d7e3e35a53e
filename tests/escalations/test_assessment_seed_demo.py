"""The builtin assessment on the demo data (`seed_demo`): what the demo shows must be useful."""

import pytest
from django.core.management import call_command

from accounts.models import Account, User
from escalations.assessment import AssessmentContext, get_provider
from escalations.assessment.service import handoff_assess
from escalations.assessment.text import same_action
from escalations.models import Handoff, PilotSession, SessionStatus, Step, StepOutcome
from tests.escalations.assessment_data import escalation


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Account.objects.get(slug="acme"), Account.objects.get(slug="globex")


def worked_steps(session_id) -> list[str]:
    return list(Step.objects.filter(session_id=session_id, outcome=StepOutcome.WORKED).values_list("action", flat=True))


def test_a_new_spooler_escalation_gets_a_resolved_spooler_session_first_and_its_fix(demo):
    acme, globex = demo
    tech = User.objects.get(email="senior2@acme.test")
    handoff = escalation(acme, tech, title="Print spooler keeps crashing",
                         problem="The print spooler keeps crashing on the accounting PC; jobs pile up in the queue.")
    result = get_provider("builtin").assess(AssessmentContext.from_handoff(handoff))
    print(result.to_dict())

    top = PilotSession.objects.get(pk=result.similar_sessions[0].id)
    assert top.account == acme and top.status == SessionStatus.RESOLVED
    assert "spooler" in f"{top.title} {top.problem}".lower()
    # Its fix as a next step to try: the same step, imperative, citing that session.
    assert result.suggestions[0].session_ids[0] == str(top.pk)
    assert any(same_action(result.suggested_steps[0], w) for w in worked_steps(top.pk))
    assert result.suggested_steps[0] not in worked_steps(top.pk)
    assert result.confidence >= 0.5 and result.confidence_level in ("medium", "high")
    globex_ids = {str(pk) for pk in PilotSession.objects.filter(account=globex).values_list("pk", flat=True)}
    assert not globex_ids & {s.id for s in result.similar_sessions}


def test_the_seeded_open_escalation_is_assessed_with_the_fix_it_has_not_tried(demo, django_capture_on_commit_callbacks):
    acme, _ = demo
    handoff = Handoff.objects.get(account=acme, claimed_at__isnull=True, cancelled_at__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert handoff_assess(handoff_id=str(handoff.pk)) == "ready"
    handoff.refresh_from_db()
    assessment = handoff.assessment
    print(assessment)
    top = PilotSession.objects.get(pk=assessment["similar_sessions"][0]["id"])
    assert top.account == acme and top.status == SessionStatus.RESOLVED and "spooler" in top.title.lower()
    tried = [s["action"] for s in handoff.steps_tried]
    assert assessment["suggested_steps"] and not set(assessment["suggested_steps"]) & set(tried)
    first = assessment["suggestions"][0]
    assert first["text"] == assessment["suggested_steps"][0] and first["session_ids"][0] == str(top.pk)
    assert any(same_action(first["text"], w) for w in worked_steps(top.pk))
    # Brightwater's fix, not Brightwater: no other client's name in what is suggested.
    assert not any(top.client_name.split()[0] in s for s in assessment["suggested_steps"])

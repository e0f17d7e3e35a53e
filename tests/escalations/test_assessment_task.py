"""The assessment task: queued for every handoff by its escalation's fan-out, idempotent, tolerant of a broker that
is down, and re-queued by beat when it was lost."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from escalations.models import AssessmentStatus, Handoff
from escalations.tasks import assess_handoff, requeue_stale_assessments
from resolutionflow.celery import app as celery_app
from tests.escalations.assessment_data import acme_history, escalation, without_auto_assessment
from tests.escalations.loopback import LoopbackServer
from tests.helpers import escalate, make_session

ANSWER = {"summary": "Driver.", "likely_causes": ["Driver"], "suggested_steps": ["Replace the driver"],
          "confidence": 0.7}


def completion(content: dict) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(content)}}]}


@pytest.fixture
def manual(monkeypatch):
    """These tests run the task themselves."""
    without_auto_assessment(monkeypatch)


@pytest.fixture
def llm(settings, manual):
    server = LoopbackServer()
    settings.AI_PROVIDER = "openai"
    settings.AI_BASE_URL = server.url
    settings.AI_API_KEY = "k"
    yield server
    server.stop()


@pytest.fixture
def eager_celery():
    """Run `.delay()` in process, as embedded mode does (no worker in the tests)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def broker_down():
    """A broker that refuses connections (nothing listens on its port). The app's connection and
    producer pools are set aside so new ones are made for the dead URL, then put back."""
    conf, amqp = celery_app.conf, celery_app.amqp
    saved = (conf.task_always_eager, conf.broker_url, celery_app._pool, amqp._producer_pool)
    dead = LoopbackServer()
    dead.stop()
    conf.task_always_eager = False
    conf.broker_url = dead.url.replace("http://", "redis://") + "/0"
    celery_app._pool, amqp._producer_pool = None, None
    yield
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    conf.task_always_eager, conf.broker_url, celery_app._pool, amqp._producer_pool = saved


def test_the_task_run_twice_does_the_work_once(llm, acme, acme_tech):
    llm.answer(200, completion(ANSWER))
    handoff = escalation(acme, acme_tech, title="Spooler", problem="Spooler crashes")
    assert assess_handoff(str(handoff.pk)) == AssessmentStatus.READY
    assert assess_handoff(str(handoff.pk)) is None
    assert len(llm.requests) == 1
    handoff.refresh_from_db()
    assert handoff.assessment_status == "ready" and handoff.assessment["summary"] == "Driver."


def test_a_missing_or_malformed_handoff_is_ignored(db):
    assert assess_handoff("0b8f5a4e-8d6c-4a8e-9d51-000000000000") is None
    assert assess_handoff("not-a-uuid") is None


def test_an_assessment_that_is_no_longer_pending_is_left_alone(llm, acme, acme_tech):
    handoff = escalation(acme, acme_tech, title="Spooler", problem="Spooler crashes")
    Handoff.objects.filter(pk=handoff.pk).update(assessment_status=AssessmentStatus.TIMED_OUT)
    assert assess_handoff(str(handoff.pk)) is None
    assert llm.requests == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_with_the_same_message_call_the_model_once(llm, acme, acme_tech):
    llm.answer(200, completion(ANSWER), hang=0.5)
    handoff = escalation(acme, acme_tech, title="Spooler", problem="Spooler crashes")
    results = []

    def worker():
        try:
            results.append(assess_handoff(str(handoff.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results, key=str) == [None, AssessmentStatus.READY]  # one did it, the other stepped aside
    assert len(llm.requests) == 1
    assert Handoff.objects.get(pk=handoff.pk).assessment_status == "ready"


def test_every_escalation_is_assessed_once_it_commits(eager_celery, api, acme_tech, acme_senior, acme,
                                                      django_capture_on_commit_callbacks):
    acme_history(acme, acme_senior)
    tech = api(acme_tech)
    session = make_session(tech, title="Print spooler keeps crashing", problem="Spooler crashes at the front desk")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = escalate(tech, session["id"])
    assert response.status_code == 201
    handoff_id = response.json()["id"]
    assert Handoff.objects.get(pk=handoff_id).assessment_status == "pending"  # nothing before the commit
    for callback in callbacks:
        callback()
    handoff = Handoff.objects.get(pk=handoff_id)
    assert handoff.assessment_status == "ready"
    assert handoff.assessment["similar_sessions"][0]["title"] == "Print spooler crashes when the front desk prints"
    detail = api(acme_senior).get(f"/api/v1/handoffs/{handoff_id}").json()
    assert detail["assessment_status"] == "ready"
    assert detail["assessment"]["suggested_steps"] == handoff.assessment["suggested_steps"]


def test_a_rolled_back_escalation_queues_nothing(eager_celery, acme, acme_tech, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            escalation(acme, acme_tech, title="Spooler", problem="Spooler crashes")
            raise RuntimeError("rollback")
    assert callbacks == []
    assert not Handoff.objects.exists()


def test_a_broker_that_is_down_does_not_fail_the_escalation(broker_down, api, acme_tech, acme_senior,
                                                            django_capture_on_commit_callbacks, caplog):
    from escalations.models import EscalationEvent
    from notifications import fanout
    from notifications.models import Notification

    tech = api(acme_tech)
    session = make_session(tech)
    with django_capture_on_commit_callbacks(execute=True):
        response = escalate(tech, session["id"])
    assert response.status_code == 201
    handoff = Handoff.objects.get(pk=response.json()["id"])
    assert handoff.assessment_status == "pending" and handoff.is_open
    assert "Could not queue the fan-out" in caplog.text  # the event stays pending: the sweeper has it
    # The fan-out, run while the broker is still down, sends the bells and cannot queue the
    # assessment: logged, the handoff stays pending for the beat re-queue.
    event = EscalationEvent.objects.get(handoff=handoff)
    with django_capture_on_commit_callbacks(execute=True):
        fanout.fan_out(event.pk)
    assert Notification.objects.filter(user=acme_senior, handoff=handoff).count() == 1
    assert "could not queue the assessment" in caplog.text
    assert Handoff.objects.get(pk=handoff.pk).assessment_status == "pending"


def test_the_escalate_request_publishes_one_task_and_its_fan_out_queues_the_assessment(
        api, acme_tech, acme_senior, django_capture_on_commit_callbacks):
    """One broker publish per escalation in the request (the fan-out); the worker that fans it
    out queues the assessment once the bells are out (issue #13)."""
    from escalations.models import EscalationEvent
    from notifications import fanout

    published = []

    def record(sender=None, headers=None, **kwargs):
        published.append(headers["task"])

    from celery.signals import before_task_publish

    before_task_publish.connect(record, weak=False)
    try:
        tech = api(acme_tech)
        session = make_session(tech)
        with django_capture_on_commit_callbacks(execute=True):
            response = escalate(tech, session["id"])
        assert response.status_code == 201
        assert published == ["notifications.tasks.fan_out_event"]
        event = EscalationEvent.objects.get(handoff_id=response.json()["id"])
        with django_capture_on_commit_callbacks(execute=True):
            fanout.fan_out(event.pk)
        assert published[1] == "escalations.tasks.assess_handoff"
        assert published.count("escalations.tasks.assess_handoff") == 1
        with django_capture_on_commit_callbacks(execute=True):  # run again: nothing more is queued
            fanout.fan_out(event.pk)
        assert published.count("escalations.tasks.assess_handoff") == 1
    finally:
        before_task_publish.disconnect(record)


def test_beat_requeues_stale_pending_assessments_and_times_out_abandoned_ones(manual, eager_celery, acme, acme_tech,
                                                                             acme_tech2):
    recent = escalation(acme, acme_tech, title="Spooler", problem="Spooler crashes")
    stale = escalation(acme, acme_tech2, title="VPN", problem="VPN drops")
    abandoned = escalation(acme, acme_tech, title="DNS", problem="DNS fails")  # a second session of tech
    now = timezone.now()
    Handoff.objects.filter(pk=stale.pk).update(created_at=now - timedelta(minutes=5))
    Handoff.objects.filter(pk=abandoned.pk).update(created_at=now - timedelta(hours=2))

    assert requeue_stale_assessments() == {"requeued": 1, "timed_out": 1}
    states = dict(Handoff.objects.values_list("pk", "assessment_status"))
    assert states == {recent.pk: "pending", stale.pk: "ready", abandoned.pk: "timed_out"}
    assert Handoff.objects.get(pk=abandoned.pk).assessment is None
    assert requeue_stale_assessments() == {"requeued": 0, "timed_out": 0}

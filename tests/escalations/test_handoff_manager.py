"""The handoff manager: snapshot, state, documentation, notifications, idempotency, rollback."""

import pytest
from django.db import transaction

from escalations import handoffs
from escalations.models import Handoff, PilotSession
from notifications.models import Notification
from tests.helpers import add_step, escalate, make_session, run_fanouts


@pytest.fixture
def tech(api, acme_tech):
    return api(acme_tech)


def test_escalation_snapshots_the_session_and_moves_it_to_escalated(tech, acme_tech):
    session = make_session(tech)
    add_step(tech, session["id"], action="Recreated Outlook profile", outcome="did_not_work", result="Same prompt")
    tech.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "Modern auth is on"}, format="json")
    response = escalate(tech, session["id"], reason="Still looping after profile rebuild")
    assert response.status_code == 201
    body = response.json()
    assert body["intent"] == "escalate"
    assert body["problem"] == session["problem"]
    assert [s["action"] for s in body["steps_tried"]] == ["Recreated Outlook profile"]
    assert body["steps_tried"][0]["outcome"] == "did_not_work"
    assert [m["body"] for m in body["conversation_tail"]] == ["Modern auth is on"]
    assert body["requested_by"]["email"] == "tech@acme.test"
    assert body["assessment"] is None and body["assessment_status"] == "pending"
    assert body["claimed_by"] is None
    detail = tech.get(f"/api/v1/sessions/{session['id']}").json()
    assert detail["status"] == "escalated"
    assert detail["open_handoff"]["id"] == body["id"]
    doc = PilotSession.objects.get(pk=session["id"]).documentation
    assert "Recreated Outlook profile" in doc and "Still looping after profile rebuild" in doc
    assert "Did not work" in doc


def test_steps_logged_after_the_escalation_do_not_change_the_snapshot(tech):
    session = make_session(tech)
    handoff = escalate(tech, session["id"]).json()
    add_step(tech, session["id"], action="Later step")
    assert Handoff.objects.get(pk=handoff["id"]).steps_tried == []


def test_every_engineer_and_admin_is_notified_with_a_pickup_link(tech, acme_senior, acme_senior2, acme_admin,
                                                                 acme_tech2, globex_senior):
    session = make_session(tech)
    escalate(tech, session["id"])
    assert not Notification.objects.exists(), "bells are a worker's job, not the request's"
    assert run_fanouts() == 1
    notified = set(Notification.objects.values_list("user__email", flat=True))
    assert notified == {"senior@acme.test", "senior2@acme.test", "admin@acme.test"}
    note = Notification.objects.get(user=acme_senior)
    assert note.link == f"/pilot/{session['id']}?pickup=true"
    assert note.kind == "escalation"


def test_a_named_target_alone_is_notified(tech, acme_senior, acme_senior2):
    session = make_session(tech)
    response = escalate(tech, session["id"], target_user_id=str(acme_senior2.pk))
    assert response.status_code == 201
    assert response.json()["target_user"]["email"] == "senior2@acme.test"
    run_fanouts()
    assert list(Notification.objects.values_list("user__email", flat=True)) == ["senior2@acme.test"]


def test_naming_yourself_is_400(tech, acme_tech):
    session = make_session(tech)
    response = escalate(tech, session["id"], target_user_id=str(acme_tech.pk))
    assert response.status_code == 400
    assert "yourself" in response.json()["target_user_id"][0]
    assert Handoff.objects.count() == 0


def test_an_inactive_target_is_400(tech, acme_senior):
    acme_senior.is_active = False
    acme_senior.save()
    session = make_session(tech)
    assert escalate(tech, session["id"], target_user_id=str(acme_senior.pk)).status_code == 400


def test_a_handoff_needs_a_teammate(tech):
    session = make_session(tech)
    response = tech.post(f"/api/v1/sessions/{session['id']}/handoff", {"reason": "Shift"}, format="json")
    assert response.status_code == 400 and "target_user_id" in response.json()


def test_a_second_escalation_without_a_key_is_409_with_the_open_handoff(tech):
    session = make_session(tech)
    first = escalate(tech, session["id"]).json()
    second = escalate(tech, session["id"])
    assert second.status_code == 409
    assert second.json()["handoff_id"] == first["id"]
    assert Handoff.objects.count() == 1


def test_the_same_key_and_body_return_the_first_response(tech):
    session = make_session(tech)
    url = f"/api/v1/sessions/{session['id']}/escalate"
    first = tech.post(url, {"reason": "stuck"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = tech.post(url, {"reason": "stuck"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Handoff.objects.count() == 1
    assert Notification.objects.count() == 0 or Notification.objects.count() == len(
        set(Notification.objects.values_list("user", flat=True)))


def test_the_same_key_with_another_body_is_409(tech):
    session = make_session(tech)
    url = f"/api/v1/sessions/{session['id']}/escalate"
    tech.post(url, {"reason": "stuck"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = tech.post(url, {"reason": "different"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 409
    assert "different request" in response.json()["detail"]


def test_a_rollback_inside_the_manager_sends_nothing_and_notifies_no_one(acme_tech, acme_senior,
                                                                        django_capture_on_commit_callbacks):
    from escalations import services

    session = services.session_create(actor=acme_tech, title="t", problem="p")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                handoffs.handoff_create(session=session, actor=acme_tech, intent="escalate", reason="r")
                raise RuntimeError("boom after the manager's writes")
    assert callbacks == []
    assert Handoff.objects.count() == 0
    assert Notification.objects.count() == 0
    assert PilotSession.objects.get(pk=session.pk).status == "active"


def test_a_committed_escalation_sends_its_frames_only_on_commit(acme_tech, acme_senior,
                                                                django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from escalations import events, services

    layer = get_channel_layer()
    queue_channel, bell_channel = "test.queue.listener", "test.bell.listener"
    async_to_sync(layer.group_add)(events.queue_group(acme_tech.account_id), queue_channel)
    async_to_sync(layer.group_add)(events.user_group(acme_senior.pk), bell_channel)
    session = services.session_create(actor=acme_tech, title="t", problem="p")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        handoff = handoffs.handoff_create(session=session, actor=acme_tech, intent="escalate", reason="r")
    assert callbacks, "frames are registered for the commit, not sent"
    for callback in callbacks:
        callback()
    run_fanouts(django_capture_on_commit_callbacks)

    async def receive_both():
        return (await layer.receive(queue_channel))["frame"], (await layer.receive(bell_channel))["frame"]

    card, bell = async_to_sync(receive_both)()
    assert card == events.handoff_created_frame(Handoff.objects.get(pk=handoff.pk))
    assert bell["type"] == "notification.created"
    assert bell["notification"]["id"] == str(Notification.objects.get(user=acme_senior).pk)


def test_the_bells_of_many_recipients_are_one_message_each_consumer_picks_its_own(
        acme_tech, acme_senior, acme_senior2, acme_admin, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from escalations import events, services

    layer = get_channel_layer()
    listener = "test.members.listener"
    async_to_sync(layer.group_add)(events.members_group(acme_tech.account_id), listener)
    session = services.session_create(actor=acme_tech, title="t", problem="p")
    with django_capture_on_commit_callbacks(execute=True):
        handoffs.handoff_create(session=session, actor=acme_tech, intent="escalate", reason="r")
    run_fanouts(django_capture_on_commit_callbacks)
    message = async_to_sync(layer.receive)(listener)
    assert message["type"] == "event.bells"
    expected = {str(n.user_id): str(n.pk) for n in Notification.objects.all()}
    assert message["ids"] == expected and len(expected) == 3
    assert message["frame"]["type"] == "notification.created"


def test_claim_hands_the_session_to_the_engineer_and_tells_the_requester(tech, api, acme_senior):
    session = make_session(tech)
    handoff = escalate(tech, session["id"]).json()
    senior = api(acme_senior)
    # Staff can read the escalated session before claiming, but not write it.
    assert senior.get(f"/api/v1/sessions/{session['id']}").status_code == 200
    assert senior.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "x"}, format="json").status_code == 403
    claimed = senior.post(f"/api/v1/handoffs/{handoff['id']}/claim")
    assert claimed.status_code == 200
    run_fanouts()
    detail = senior.get(f"/api/v1/sessions/{session['id']}").json()
    assert detail["status"] == "active" and detail["owner"]["email"] == "senior@acme.test"
    assert detail["open_handoff"] is None
    note = tech.get("/api/v1/notifications").json()["results"][0]
    assert note["kind"] == "claimed" and "Sam Senior" in note["title"]
    # The technician can still read what they asked for.
    assert tech.get(f"/api/v1/handoffs/{handoff['id']}").status_code == 200
    assert tech.get(f"/api/v1/sessions/{session['id']}").status_code == 200


def test_second_claim_gets_409_with_the_winner_and_reclaim_is_200(tech, api, acme_senior, acme_senior2):
    session = make_session(tech)
    handoff = escalate(tech, session["id"]).json()
    assert api(acme_senior).post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200
    lost = api(acme_senior2).post(f"/api/v1/handoffs/{handoff['id']}/claim")
    assert lost.status_code == 409
    assert lost.json()["claimed_by"]["email"] == "senior@acme.test"
    assert "Sam Senior" in lost.json()["detail"]
    assert api(acme_senior).post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200


def test_the_claimers_first_action_stops_the_clock_once(tech, api, acme_senior, acme_tech):
    session = make_session(tech)
    handoff = escalate(tech, session["id"]).json()
    senior = api(acme_senior)
    senior.post(f"/api/v1/handoffs/{handoff['id']}/claim")
    assert Handoff.objects.get(pk=handoff["id"]).first_action_at is None
    senior.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "Looking now"}, format="json")
    first = Handoff.objects.get(pk=handoff["id"]).first_action_at
    assert first is not None
    add_step(senior, session["id"], action="Checked conditional access")
    assert Handoff.objects.get(pk=handoff["id"]).first_action_at == first


def test_resolving_before_anyone_claims_takes_the_card_out_of_the_queue(tech, api, acme_senior):
    session = make_session(tech)
    handoff = escalate(tech, session["id"]).json()
    assert tech.post(f"/api/v1/sessions/{session['id']}/resolve", {"resolution": "Fixed it myself"},
                     format="json").status_code == 200
    senior = api(acme_senior)
    assert senior.get("/api/v1/handoffs").json()["count"] == 0
    assert senior.post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 409


def test_only_the_owner_escalates_others_get_404_or_403_as_for_reading_it(tech, api, acme_tech, acme_tech2,
                                                                         acme_senior):
    """The escalate path reads the session by account and id (one locked statement); a
    non-owner still gets what reading the session would give: 404 if they cannot see it, 403
    if they can. Nothing is written either way."""
    session = make_session(tech)
    other_tech, senior = api(acme_tech2), api(acme_senior)
    assert other_tech.get(f"/api/v1/sessions/{session['id']}").status_code == 404
    assert escalate(other_tech, session["id"]).status_code == 404
    assert escalate(other_tech, "not-a-uuid").status_code == 404
    assert escalate(other_tech, "0b8f5a4e-8d6c-4a8e-9d51-000000000000").status_code == 404
    assert senior.get(f"/api/v1/sessions/{session['id']}").status_code == 200
    refused = escalate(senior, session["id"])
    assert refused.status_code == 403 and "owner" in refused.json()["detail"]
    assert not Handoff.objects.filter(session_id=session["id"]).exists()
    assert PilotSession.objects.get(pk=session["id"]).status == "active"
    # The requester of a claimed escalation sees the session, and is not its owner any more.
    handoff = escalate(tech, session["id"]).json()
    assert senior.post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200
    assert tech.get(f"/api/v1/sessions/{session['id']}").status_code == 200
    assert escalate(tech, session["id"]).status_code == 403
    assert Handoff.objects.filter(session_id=session["id"]).count() == 1


def test_the_context_package_is_the_same_from_serializers_built_from_cached_fields(tech, api, acme_tech,
                                                                                  acme_senior):
    """HandoffDetailSerializer builds its fields once per class (resolutionflow.api.FieldsBuiltOnce):
    every instance binds its own copies, so a handoff read after others, claimed or not, comes out
    whole and with its own values."""
    from escalations.serializers import HandoffDetailSerializer

    first = escalate(tech, make_session(tech, title="First")["id"], reason="One").json()
    second_session = make_session(api(acme_senior), title="Second")
    second = escalate(api(acme_senior), second_session["id"], reason="Two").json()
    assert api(acme_senior).post(f"/api/v1/handoffs/{first['id']}/claim").status_code == 200
    a, b = (HandoffDetailSerializer(Handoff.objects.get(pk=h["id"])) for h in (first, second))
    assert a.fields["requested_by"] is not b.fields["requested_by"]
    assert a.fields["requested_by"].parent is a and b.fields["requested_by"].parent is b
    data_a, data_b = a.data, b.data
    assert (data_a["reason"], data_a["requested_by"]["email"], data_a["claimed_by"]["email"]) == \
        ("One", "tech@acme.test", "senior@acme.test")
    assert (data_b["reason"], data_b["requested_by"]["email"], data_b["claimed_by"]) == \
        ("Two", "senior@acme.test", None)
    assert set(data_a) == set(data_b) == set(HandoffDetailSerializer.Meta.fields)

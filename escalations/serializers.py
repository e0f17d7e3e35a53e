from rest_framework import serializers

from accounts.api import UserRefSerializer
from escalations.models import Handoff, Message, PilotSession, Step, StepOutcome

# --- Input -------------------------------------------------------------------------------------

class SessionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    problem = serializers.CharField(max_length=10_000)
    psa_ticket_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    client_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StepCreateSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=2_000)
    result = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(choices=StepOutcome.choices)


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10_000)


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=10_000)


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000)
    target_user_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class HandoffRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000)
    target_user_id = serializers.UUIDField()


# --- Output ------------------------------------------------------------------------------------

class StepSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = Step
        fields = ["id", "action", "result", "outcome", "author", "created_at"]


class MessageSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "role", "author", "body", "created_at"]


class OpenHandoffSerializer(serializers.ModelSerializer):
    requested_by = UserRefSerializer(read_only=True)
    target_user = UserRefSerializer(read_only=True)

    class Meta:
        model = Handoff
        fields = ["id", "intent", "reason", "requested_by", "target_user", "created_at", "assessment_status"]


class SessionListSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    open_handoff = serializers.SerializerMethodField()

    class Meta:
        model = PilotSession
        fields = ["id", "title", "problem", "client_name", "psa_ticket_id", "status", "owner", "open_handoff",
                  "resolution", "created_at", "updated_at", "resolved_at"]

    def get_open_handoff(self, obj) -> dict | None:
        opened = getattr(obj, "open_handoffs", None)
        if opened is None:
            opened = list(obj.handoffs.unclaimed())
        return OpenHandoffSerializer(opened[0]).data if opened else None


class SessionDetailSerializer(SessionListSerializer):
    steps = StepSerializer(many=True, read_only=True)
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(SessionListSerializer.Meta):
        fields = SessionListSerializer.Meta.fields + ["steps", "messages", "documentation"]


class HandoffSummarySerializer(serializers.ModelSerializer):
    """A queue card."""

    session_id = serializers.UUIDField(read_only=True)
    session_title = serializers.CharField(source="session.title", read_only=True)
    requested_by = UserRefSerializer(read_only=True)
    target_user = UserRefSerializer(read_only=True)
    claimed_by = UserRefSerializer(read_only=True)
    steps_count = serializers.SerializerMethodField()

    class Meta:
        model = Handoff
        fields = ["id", "session_id", "session_title", "intent", "reason", "requested_by", "target_user",
                  "created_at", "problem", "steps_count", "assessment_status", "claimed_by", "claimed_at",
                  "admins_renotified_at"]

    def get_steps_count(self, obj) -> int:
        return len(obj.steps_tried or [])


class HandoffDetailSerializer(serializers.ModelSerializer):
    """The context package (API.md)."""

    session_id = serializers.UUIDField(read_only=True)
    requested_by = UserRefSerializer(read_only=True)
    target_user = UserRefSerializer(read_only=True)
    claimed_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Handoff
        fields = ["id", "session_id", "intent", "reason", "requested_by", "target_user", "created_at", "problem",
                  "steps_tried", "conversation_tail", "assessment", "assessment_status", "claimed_by",
                  "claimed_at", "first_action_at"]


from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import UserRefSerializer
from escalations.models import Handoff, Message, PilotSession, Step, StepOutcome
from resolutionflow.api import FieldsBuiltOnce

# --- Input -------------------------------------------------------------------------------------

class TextField(serializers.CharField):
    """Text, as the OpenAPI document says: a JSON string of at most max_length characters as sent.
    DRF's CharField also takes a number as its text (1e3 became "1000.0"), and measures the text
    after stripping it (10,001 characters with a leading space passed a 10,000 limit); here anything
    but a string, or a longer one, is a 400 (issue #10)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class SessionCreateSerializer(serializers.Serializer):
    title = TextField(max_length=200)
    problem = TextField(max_length=10_000)
    psa_ticket_id = TextField(max_length=64, required=False, allow_blank=True, default="")
    client_name = TextField(max_length=200, required=False, allow_blank=True, default="")


class StepCreateSerializer(serializers.Serializer):
    action = TextField(max_length=2_000)
    result = TextField(max_length=5_000, required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(choices=StepOutcome.choices)


class MessageCreateSerializer(serializers.Serializer):
    body = TextField(max_length=10_000)
    to_copilot = serializers.BooleanField(required=False, default=False,
                                          help_text="true: the copilot answers, as its own message, shortly after.")


class ResolveSerializer(serializers.Serializer):
    resolution = TextField(max_length=10_000)


class EscalateSerializer(serializers.Serializer):
    reason = TextField(max_length=2_000)
    target_user_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class HandoffRequestSerializer(serializers.Serializer):
    reason = TextField(max_length=2_000)
    target_user_id = serializers.UUIDField()


# --- Output ------------------------------------------------------------------------------------

class StepSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = Step
        fields = ["id", "action", "result", "outcome", "author", "created_at"]


class MessageSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True, allow_null=True, help_text="null for the copilot's and system messages.")

    class Meta:
        model = Message
        fields = ["id", "role", "author", "body", "created_at"]


class OpenHandoffSerializer(serializers.ModelSerializer):
    requested_by = UserRefSerializer(read_only=True)
    target_user = UserRefSerializer(read_only=True, allow_null=True)

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

    @extend_schema_field(OpenHandoffSerializer(allow_null=True))
    def get_open_handoff(self, obj):
        opened = getattr(obj, "open_handoffs", None)
        if opened is None:
            opened = list(obj.handoffs.unclaimed())
        return OpenHandoffSerializer(opened[0]).data if opened else None


class SessionDetailSerializer(SessionListSerializer):
    """From `selectors.session_detail`: the most recent steps and messages, oldest first."""

    steps = StepSerializer(many=True, read_only=True, source="recent_steps",
                           help_text="The most recent steps (at most SESSION_MAX_STEPS), oldest first.")
    steps_total = serializers.IntegerField(read_only=True, help_text="How many steps the session has in all.")
    messages = MessageSerializer(many=True, read_only=True, source="recent_messages",
                                 help_text="The most recent messages (at most SESSION_MAX_MESSAGES), oldest first.")
    messages_total = serializers.IntegerField(read_only=True, help_text="How many messages the session has in all.")

    class Meta(SessionListSerializer.Meta):
        fields = SessionListSerializer.Meta.fields + ["steps", "steps_total", "messages", "messages_total",
                                                      "documentation"]


class HandoffSummarySerializer(serializers.ModelSerializer):
    """A queue card."""

    session_id = serializers.UUIDField(read_only=True)
    session_title = serializers.CharField(source="session.title", read_only=True)
    requested_by = UserRefSerializer(read_only=True)
    target_user = UserRefSerializer(read_only=True, allow_null=True)
    claimed_by = UserRefSerializer(read_only=True, allow_null=True)
    steps_count = serializers.SerializerMethodField()

    class Meta:
        model = Handoff
        fields = ["id", "session_id", "session_title", "intent", "reason", "requested_by", "target_user",
                  "created_at", "problem", "steps_count", "assessment_status", "claimed_by", "claimed_at",
                  "admins_renotified_at"]

    def get_steps_count(self, obj) -> int:
        return obj.steps_tried_count


_TEXTS = {"type": "array", "items": {"type": "string"}}
# The stored assessment (docs/assessment.md). `match`, `confidence_level` and `suggestions` came
# later (issue #12): an assessment stored before them lacks them, so they are not `required`.
ASSESSMENT_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "null until the assessment is ready (see assessment_status).",
    "properties": {
        "summary": {"type": "string"},
        "likely_causes": _TEXTS,
        "suggested_steps": {**_TEXTS, "description": "Next steps to try; [] when `match` is `none`."},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "Builtin: the best close match's score (0 without one). Show the level."},
        "similar_sessions": {"type": "array", "items": {
            "type": "object", "required": ["id", "title", "resolution", "score"],
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                           "resolution": {"type": "string"}, "score": {"type": "number"}}}},
        "match": {"type": "string", "enum": ["close", "none"],
                  "description": "`none`: no close match in the account's resolved sessions; nothing is "
                                 "suggested from them."},
        "confidence_level": {"type": "string", "enum": ["high", "medium", "low"], "nullable": True,
                             "description": "From the best similar session's score: high >= 0.7, medium >= "
                                            "0.55, low >= 0.4; null when `match` is `none`."},
        "suggestions": {"type": "array", "description": "`suggested_steps` again, each with the ids of the "
                        "similar sessions it comes from (empty for a model's suggestion).", "items": {
                            "type": "object", "required": ["text", "session_ids"],
                            "properties": {"text": {"type": "string"},
                                           "session_ids": {"type": "array", "items": {"type": "string"}}}}},
    },
    "required": ["summary", "likely_causes", "suggested_steps", "confidence", "similar_sessions"],
}


@extend_schema_field(ASSESSMENT_SCHEMA)
class AssessmentField(serializers.JSONField):
    """`Handoff.assessment` as stored, documented with its shape."""


class HandoffDetailSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """The context package (API.md)."""

    assessment = AssessmentField(read_only=True, allow_null=True)

    session_id = serializers.UUIDField(read_only=True)
    requested_by = UserRefSerializer(read_only=True)
    target_user = UserRefSerializer(read_only=True, allow_null=True)
    claimed_by = UserRefSerializer(read_only=True, allow_null=True)
    steps_tried_total = serializers.IntegerField(
        source="steps_tried_count", read_only=True,
        help_text="How many steps the session had at the escalation; `steps_tried` holds the most recent "
                  "HANDOFF_MAX_STEPS_TRIED of them.")

    class Meta:
        model = Handoff
        fields = ["id", "session_id", "intent", "reason", "requested_by", "target_user", "created_at", "problem",
                  "steps_tried", "steps_tried_total", "conversation_tail", "assessment", "assessment_status",
                  "claimed_by", "claimed_at", "first_action_at"]


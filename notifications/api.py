from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAccountAdmin
from accounts.tenancy import get_for_account_or_404
from notifications import selectors, services
from notifications.models import Delivery, DeliveryStatus, Notification, WebhookEndpoint, WebhookEvent
from resolutionflow.openapi import conflict
from resolutionflow.outbound import validate_public_url


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


def _mine(request):
    return Notification.objects.for_account(request.user.account).filter(user=request.user)


UNREAD_VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _unread_filter(params) -> bool:
    """`?unread=true` keeps the unread ones; absent or empty, `false`, `0` or `no`: all of them.
    Anything else is a 400, not silently "all" (issue #10)."""
    value = params.get("unread", "").strip().lower()
    if value == "":
        return False
    if value not in UNREAD_VALUES:
        raise ValidationError({"unread": ["Use true or false."]})
    return UNREAD_VALUES[value]


class NotificationList(generics.ListAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(parameters=[OpenApiParameter("unread", bool, description="true: only unread ones.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notification.objects.none()
        qs = _mine(self.request).order_by("-created_at")
        if _unread_filter(self.request.query_params):
            qs = qs.filter(read_at__isnull=True)
        return qs


class NotificationRead(APIView):
    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, notification_id):
        note = get_for_account_or_404(_mine(request), request.user.account, pk=notification_id)
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return Response(NotificationSerializer(note).data)


class NotificationReadAll(APIView):
    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"marked": {"type": "integer"}}}})
    def post(self, request):
        marked = _mine(request).filter(read_at__isnull=True).update(read_at=timezone.now())
        return Response({"marked": marked})


# --- Outbound webhooks (API.md): admins only --------------------------------------------------

class StrictBooleanField(serializers.BooleanField):
    """A JSON `true` or `false`, as the OpenAPI document says (DRF's BooleanField also takes
    "yes", "1", 0...)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _url_field(**kwargs):
    return serializers.URLField(max_length=2000, validators=[validate_public_url], **kwargs)


def _events_field(**kwargs):
    return serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.values), allow_empty=False,
                                 max_length=len(WebhookEvent.values), **kwargs)


def _in_event_order(events):
    return sorted(set(events), key=WebhookEvent.values.index)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = _url_field()
    events = _events_field()

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "enabled", "disabled_at", "disabled_reason", "previous_secret_expires_at",
                  "created_at"]
        read_only_fields = ["id", "enabled", "disabled_at", "disabled_reason", "previous_secret_expires_at",
                            "created_at"]
        extra_kwargs = {
            "disabled_reason": {"help_text": "Why it gets nothing: paused by an admin, or it answered 410 Gone."},
            "previous_secret_expires_at": {"help_text": "After a secret rotation: until when the replaced secret "
                                                        "still signs deliveries (a second v1= signature)."},
        }

    def validate_events(self, value):
        return _in_event_order(value)


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The create and rotate-secret responses: the only times the signing secret is shown."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    """PATCH: any of these; the others stay as they are."""

    url = _url_field(required=False, help_text="Checked like on create: http(s), a host with public addresses.")
    events = _events_field(required=False)
    enabled = StrictBooleanField(required=False, help_text="false pauses the endpoint (no new deliveries, "
                                                           "tests or retries); true resumes it.")

    def validate_events(self, value):
        return _in_event_order(value)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event_type", read_only=True,
                                  help_text="The event type: handoff.created, ..., or ping (a test).")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    last_error = serializers.SerializerMethodField(
        help_text="A summary of the last failure (one line, at most 200 characters; URLs cut to their host); "
                  "empty when the last attempt succeeded or none was made.")
    next_attempt_at = serializers.SerializerMethodField(help_text="When it is next tried, while it is pending.")

    class Meta:
        model = Delivery
        fields = ["id", "event", "status", "attempts", "last_status_code", "last_error", "next_attempt_at",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_last_error(self, delivery) -> str:
        return selectors.error_summary(delivery.last_error)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, delivery):
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)


def _endpoints(request):
    return WebhookEndpoint.objects.for_account(request.user.account).order_by("-created_at")


def _endpoint(request, webhook_id) -> WebhookEndpoint:
    return get_for_account_or_404(_endpoints(request), request.user.account, pk=webhook_id)


class WebhookList(generics.ListCreateAPIView):
    permission_classes = [IsAccountAdmin]
    serializer_class = WebhookEndpointSerializer
    queryset = WebhookEndpoint.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return _endpoints(self.request)

    @extend_schema(request=WebhookEndpointSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def post(self, request, *args, **kwargs):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(account=request.user.account, **serializer.validated_data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetail(APIView):
    permission_classes = [IsAccountAdmin]

    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request, webhook_id):
        return Response(WebhookEndpointSerializer(_endpoint(request, webhook_id)).data)

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses=WebhookEndpointSerializer)
    def patch(self, request, webhook_id):
        endpoint = _endpoint(request, webhook_id)  # first: another account's id is 404 whatever the body
        serializer = WebhookEndpointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, webhook_id):
        _endpoint(request, webhook_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecret(APIView):
    permission_classes = [IsAccountAdmin]

    @extend_schema(request=None, responses=WebhookEndpointCreatedSerializer,
                   description="A new signing secret, shown once in this response. The replaced one keeps "
                               "signing beside it (a second `v1=` in X-ResolutionFlow-Signature) until "
                               "`previous_secret_expires_at` (WEBHOOK_SECRET_ROTATION_GRACE_HOURS). Rotating "
                               "again meanwhile drops the oldest secret at once.")
    def post(self, request, webhook_id):
        endpoint = services.webhook_secret_rotate(endpoint=_endpoint(request, webhook_id))
        return Response(WebhookEndpointCreatedSerializer(endpoint).data)


ENDPOINT_PAUSED_CONFLICT = "The endpoint is paused (`enabled` is false)."


class WebhookTest(APIView):
    permission_classes = [IsAccountAdmin]

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer, 409: conflict(ENDPOINT_PAUSED_CONFLICT)},
                   description="Queues a `ping` event to this endpoint through the outbox; a worker sends it. "
                               "Follow it in `GET .../deliveries`.")
    def post(self, request, webhook_id):
        delivery = services.webhook_ping(endpoint=_endpoint(request, webhook_id))
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryList(generics.ListAPIView):
    """The endpoint's deliveries, newest first."""

    permission_classes = [IsAccountAdmin]
    serializer_class = WebhookDeliverySerializer
    queryset = Delivery.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.endpoint_deliveries(_endpoint(self.request, self.kwargs["webhook_id"]))


class WebhookDeliveryRetry(APIView):
    permission_classes = [IsAccountAdmin]

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer, 409: conflict(
        "The delivery is pending, sending or delivered (only failed and dead ones are retried), or the endpoint "
        "is paused.")})
    def post(self, request, webhook_id, delivery_id):
        endpoint = _endpoint(request, webhook_id)
        delivery = get_for_account_or_404(selectors.endpoint_deliveries(endpoint), request.user.account,
                                          pk=delivery_id)
        delivery = services.webhook_delivery_retry(endpoint=endpoint, delivery=delivery)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

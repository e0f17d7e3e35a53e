from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAccountAdmin
from accounts.tenancy import get_for_account_or_404
from notifications.models import Notification, WebhookEndpoint, WebhookEvent
from notifications.services import webhook_endpoint_create
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

class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=2000, validators=[validate_public_url])
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.values), allow_empty=False,
                                   max_length=len(WebhookEvent.values))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "enabled", "disabled_at", "created_at"]
        read_only_fields = ["id", "enabled", "disabled_at", "created_at"]

    def validate_events(self, value):
        return sorted(set(value), key=WebhookEvent.values.index)


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The create response: the only time the signing secret is shown."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


def _endpoints(request):
    return WebhookEndpoint.objects.for_account(request.user.account).order_by("-created_at")


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
        endpoint = webhook_endpoint_create(account=request.user.account, **serializer.validated_data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetail(APIView):
    permission_classes = [IsAccountAdmin]

    @extend_schema(responses={204: None})
    def delete(self, request, webhook_id):
        endpoint = get_for_account_or_404(_endpoints(request), request.user.account, pk=webhook_id)
        endpoint.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import get_for_account_or_404
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


def _mine(request):
    return Notification.objects.for_account(request.user.account).filter(user=request.user)


class NotificationList(generics.ListAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notification.objects.none()
        qs = _mine(self.request).order_by("-created_at")
        if self.request.query_params.get("unread", "").lower() in {"1", "true", "yes"}:
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

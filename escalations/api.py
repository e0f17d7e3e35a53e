"""REST endpoints for sessions and handoffs (API.md). Views parse input, call the selector or
service inside the tenant, and serialize; they hold no business rules."""

import uuid

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffRole
from escalations import handoffs as manager
from escalations import selectors, services
from escalations.models import Handoff, HandoffIntent, PilotSession, SessionStatus
from escalations.serializers import (
    EscalateSerializer,
    HandoffDetailSerializer,
    HandoffRequestSerializer,
    HandoffSummarySerializer,
    MessageCreateSerializer,
    MessageSerializer,
    ResolveSerializer,
    SessionCreateSerializer,
    SessionDetailSerializer,
    SessionListSerializer,
    StepCreateSerializer,
    StepSerializer,
)
from resolutionflow import metrics
from resolutionflow.openapi import conflict

# The 409s (escalations.errors.Conflict); every other error is documented for all operations at
# once (resolutionflow.openapi).
RESOLVED_CONFLICT = conflict("The session is resolved.")
ESCALATE_CONFLICT = conflict(
    "The session already has an open handoff (`handoff_id` names it), or it is not active (resolved, or "
    "escalated without an open handoff), or the Idempotency-Key was already used for another request.")
CLAIM_CONFLICT = conflict("Someone else claimed it first (`claimed_by` says who), or the session was resolved "
                          "before anyone claimed it.")


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class SessionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    owner = django_filters.UUIDFilter(field_name="owner_id")

    class Meta:
        model = PilotSession
        fields = ["status", "owner"]


class SessionListCreate(generics.ListAPIView):
    serializer_class = SessionListSerializer
    filterset_class = SessionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return PilotSession.objects.none()
        return (
            selectors.sessions_visible_to(self.request.user)
            .select_related("owner")
            .prefetch_related(selectors.open_handoffs_prefetch())
            .order_by("-created_at")
        )

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionDetailSerializer})
    def post(self, request):
        data = _valid(SessionCreateSerializer, request)
        session = selectors.new_session_detail(services.session_create(actor=request.user, **data))
        return Response(SessionDetailSerializer(session).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class, request):
    if not isinstance(request.data, dict):
        raise ValidationError({"detail": "Expected a JSON object."})
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SessionDetail(APIView):
    @extend_schema(responses=SessionDetailSerializer)
    def get(self, request, session_id):
        session = selectors.session_detail(user=request.user, session_id=session_id)
        return Response(SessionDetailSerializer(session).data)


class SessionSteps(APIView):
    @extend_schema(request=StepCreateSerializer, responses={201: StepSerializer, 409: RESOLVED_CONFLICT})
    def post(self, request, session_id):
        session = selectors.session_get(user=request.user, session_id=session_id)
        data = _valid(StepCreateSerializer, request)
        step = services.step_add(session=session, actor=request.user, **data)
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)


class SessionMessages(APIView):
    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer, 409: RESOLVED_CONFLICT})
    def post(self, request, session_id):
        session = selectors.session_get(user=request.user, session_id=session_id)
        data = _valid(MessageCreateSerializer, request)
        message = services.message_add(session=session, actor=request.user, **data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class SessionResolve(APIView):
    @extend_schema(request=ResolveSerializer, responses={200: SessionDetailSerializer, 409: RESOLVED_CONFLICT})
    def post(self, request, session_id):
        session = selectors.session_get(user=request.user, session_id=session_id)
        data = _valid(ResolveSerializer, request)
        services.session_resolve(session=session, actor=request.user, **data)
        session = selectors.session_detail(user=request.user, session_id=session_id)
        return Response(SessionDetailSerializer(session).data)


IDEMPOTENCY_PARAM = OpenApiParameter("Idempotency-Key", {"type": "string", "maxLength": 255},
                                     OpenApiParameter.HEADER, required=False,
                                     description="Same key and body within 24 h return the first response.")


class _HandoffRequestView(APIView):
    intent = None
    input_serializer = None

    def post(self, request, session_id):
        try:
            data = _valid(self.input_serializer, request)
            key = request.headers.get("Idempotency-Key", "").strip() or None
            if key and len(key) > 255:
                raise ValidationError({"detail": "Idempotency-Key must be at most 255 characters."})
        except ValidationError:
            # 404 before 400: an unknown or foreign session is not found whatever the request says.
            # (A valid request's session is read, locked, by handoff_request: one read, not two.)
            selectors.session_get(user=request.user, session_id=session_id)
            raise
        result = manager.handoff_request(
            user=request.user, session_id=session_id, intent=self.intent, reason=data["reason"],
            target_user_id=data.get("target_user_id"), idempotency_key=key,
            payload={k: str(v) if v is not None else None for k, v in data.items()},
            render=lambda h: HandoffDetailSerializer(h).data,
        )
        return Response(result.body, status=result.status)


class SessionEscalate(_HandoffRequestView):
    intent = HandoffIntent.ESCALATE
    input_serializer = EscalateSerializer

    @extend_schema(request=EscalateSerializer, responses={201: HandoffDetailSerializer, 409: ESCALATE_CONFLICT},
                   parameters=[IDEMPOTENCY_PARAM])
    @metrics.escalate_timer("api", HandoffIntent.ESCALATE)
    def post(self, request, session_id):
        return super().post(request, session_id)


class SessionHandoff(_HandoffRequestView):
    intent = HandoffIntent.HANDOFF
    input_serializer = HandoffRequestSerializer

    @extend_schema(request=HandoffRequestSerializer, responses={201: HandoffDetailSerializer, 409: ESCALATE_CONFLICT},
                   parameters=[IDEMPOTENCY_PARAM])
    @metrics.escalate_timer("api", HandoffIntent.HANDOFF)
    def post(self, request, session_id):
        return super().post(request, session_id)


class HandoffQueue(generics.ListAPIView):
    permission_classes = [IsStaffRole]
    serializer_class = HandoffSummarySerializer

    @extend_schema(parameters=[OpenApiParameter("state", str, enum=["unclaimed", "claimed", "all"],
                                                default="unclaimed")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Handoff.objects.none()
        state = self.request.query_params.get("state") or "unclaimed"  # empty is absent, as for every parameter
        if state not in {"unclaimed", "claimed", "all"}:
            raise ValidationError({"state": ["Must be one of unclaimed, claimed, all."]})
        return selectors.handoff_queue(account=self.request.user.account, state=state)


class HandoffDetail(APIView):
    @extend_schema(responses=HandoffDetailSerializer)
    def get(self, request, handoff_id):
        handoff = selectors.handoff_get(user=request.user, handoff_id=handoff_id)
        return Response(HandoffDetailSerializer(handoff).data)


class HandoffClaim(APIView):
    @extend_schema(request=None, responses={200: HandoffDetailSerializer, 409: CLAIM_CONFLICT})
    def post(self, request, handoff_id):
        if not request.user.is_staff_role:
            # Role gate first: a technician may only claim a handoff addressed to them.
            handoff = selectors.handoffs_visible_to(request.user).filter(
                pk=handoff_id if _is_uuid(handoff_id) else None, target_user=request.user
            ).first()
            if handoff is None:
                raise PermissionDenied("Only engineers and admins may claim an escalation.")
        handoff = selectors.handoff_get(user=request.user, handoff_id=handoff_id)
        handoff = manager.handoff_claim(handoff=handoff, actor=request.user)
        return Response(HandoffDetailSerializer(handoff).data)

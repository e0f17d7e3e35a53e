"""`GET /api/v1/analytics/escalations` (docs/API.md): staff only, inside the caller's account."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffRole
from accounts.time_zones import account_time_zone_name, zone
from analytics import metrics


def latest_day(time_zone: str = "UTC") -> date:
    """The last day a range may name: tomorrow in the account's zone, so a client a day ahead can
    ask for its "today". Later days hold nothing, and 9999-12-31 + 1 day overflowed (issue #10)."""
    return timezone.now().astimezone(zone(time_zone)).date() + timedelta(days=1)


class WindowQuerySerializer(serializers.Serializer):
    """`?period=7d|30d|90d` (default 30d), or an explicit `start`/`end` pair of ISO dates (both
    inclusive, days of the account's time zone), which takes precedence over `period`. Dates lie
    between `metrics.EARLIEST_DAY` and tomorrow; a range covers at most `metrics.MAX_RANGE_DAYS` days.
    Context: `time_zone` (the account's)."""

    period = serializers.ChoiceField(
        choices=list(metrics.PERIODS), required=False, default=metrics.DEFAULT_PERIOD,
        error_messages={"invalid_choice": "Use one of 7d, 30d or 90d (or give start and end dates)."},
    )
    start = serializers.DateField(required=False, input_formats=["iso-8601"])
    end = serializers.DateField(required=False, input_formats=["iso-8601"])

    def _in_bounds(self, value: date) -> date:
        latest = latest_day(self.context.get("time_zone", "UTC"))
        if not metrics.EARLIEST_DAY <= value <= latest:
            raise ValidationError(f"Use a date between {metrics.EARLIEST_DAY.isoformat()} and {latest.isoformat()}.")
        return value

    def validate_start(self, value):
        return self._in_bounds(value)

    def validate_end(self, value):
        return self._in_bounds(value)

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if (start is None) != (end is None):
            raise ValidationError({"start" if start is None else "end": "Give both start and end (YYYY-MM-DD)."})
        if start is not None:
            if end < start:
                raise ValidationError({"end": "end must be on or after start."})
            if (end - start).days + 1 > metrics.MAX_RANGE_DAYS:
                raise ValidationError({"end": f"A range covers at most {metrics.MAX_RANGE_DAYS} days."})
        return attrs


def parse_window(params, *, account=None, now: datetime | None = None) -> metrics.Window:
    """The window a request asks for, in days of `account`'s time zone; ValidationError (400,
    field → messages) for bad values."""
    time_zone = account_time_zone_name(account)
    serializer = WindowQuerySerializer(data={k: params.get(k) for k in ("period", "start", "end")
                                             if params.get(k) not in (None, "")},
                                       context={"time_zone": time_zone})
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if data.get("start"):
        return metrics.window_for_dates(data["start"], data["end"], time_zone=time_zone)
    return metrics.window_for_period(data["period"], now=now, time_zone=time_zone)


# --- Response shape (also the OpenAPI document) -------------------------------------------------

class PeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Inclusive: the first day's midnight in the account's time zone "
                                                "(given in UTC).")
    end = serializers.DateTimeField(help_text="Exclusive: now for 7d/30d/90d, midnight after `end` for a range.")


class DurationStatsSerializer(serializers.Serializer):
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    samples = serializers.IntegerField()


class BaselineStatsSerializer(serializers.Serializer):
    median_seconds = serializers.FloatField(allow_null=True)
    samples = serializers.IntegerField()


class TrendPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    escalations = serializers.IntegerField()
    median_time_to_first_action_seconds = serializers.FloatField(allow_null=True)


class EscalationAnalyticsSerializer(serializers.Serializer):
    period = PeriodSerializer()
    escalations = serializers.IntegerField(help_text="Handoffs (escalations and shift handoffs) created in the period.")
    claimed = serializers.IntegerField(help_text="Of those, claimed by someone other than the requester.")
    resolved_after_claim = serializers.IntegerField()
    conversion_rate = serializers.FloatField(allow_null=True, help_text="resolved_after_claim / claimed.")
    time_to_claim = DurationStatsSerializer()
    time_to_first_action = DurationStatsSerializer()
    manual_baseline = BaselineStatsSerializer()
    minutes_recovered_per_escalation = serializers.FloatField(
        allow_null=True, help_text="(baseline median − in-product median time to first action) / 60; "
                                   "null below 5 baseline samples.")
    baseline_samples_needed = serializers.IntegerField()
    hours_saved_per_week = serializers.FloatField(
        allow_null=True, help_text="minutes recovered × escalations per week in the period ÷ 60.")
    trend = TrendPointSerializer(many=True)


class EscalationAnalytics(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        operation_id="analytics_escalations",
        parameters=[
            OpenApiParameter("period", str, enum=list(metrics.PERIODS), default=metrics.DEFAULT_PERIOD),
            OpenApiParameter("start", date, description="ISO date, inclusive, a day of the account's time zone; "
                                                        "needs `end`."),
            OpenApiParameter("end", date, description="ISO date, inclusive, a day of the account's time zone; "
                                                      "needs `start`."),
        ],
        responses=EscalationAnalyticsSerializer,
    )
    def get(self, request):
        window = parse_window(request.query_params, account=request.user.account)
        figures = metrics.escalation_analytics(account=request.user.account, window=window)
        return Response(EscalationAnalyticsSerializer(figures).data)

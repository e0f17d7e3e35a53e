"""Server-rendered analytics pages: the account's escalation analytics (staff), its CSV export,
the baseline sample form (admins) and the platform operator's pilot scorecard (superusers).
The figures come from `analytics.metrics`, the same selectors as the API."""

from __future__ import annotations

import csv
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError

from analytics import metrics, services
from analytics.api import parse_window
from analytics.chart import trend_chart
from analytics.forms import BaselineSampleForm, PeriodForm
from analytics.models import BaselineSample


def staff_required(view):
    """Engineers and admins of an account. Technicians get 403; anonymous users the login page."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff_role:
            if request.user.is_superuser and not request.user.account_id:
                return redirect("analytics-pilots")
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_account_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def operator_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _error_text(exc: ValidationError) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return " ".join(f"{field}: {msg}" if field != "non_field_errors" else str(msg)
                        for field, msgs in detail.items() for msg in (msgs if isinstance(msgs, list) else [msgs]))
    return " ".join(str(m) for m in detail) if isinstance(detail, list) else str(detail)


def _query(window: metrics.Window) -> str:
    """The query string that selects `window` again (for links, the CSV and redirects)."""
    if window.period == "custom":
        return urlencode({"start": window.first_day.isoformat(), "end": window.last_day.isoformat()})
    return urlencode({"period": window.period})


def _page(request, *, baseline_form=None, status=200):
    account = request.user.account
    try:
        window = parse_window(request.GET if request.method == "GET" else request.POST, account=account)
    except ValidationError as exc:
        return render(request, "analytics/escalations.html", {
            "nav": "analytics", "error": _error_text(exc), "period_form": PeriodForm(request.GET),
        }, status=400)
    figures = metrics.escalation_analytics(account=account, window=window)
    reuse = window.period == metrics.VERDICT_PERIOD
    verdict = metrics.pilot_verdict(account=account, now=window.end if reuse else None,
                                    figures=figures if reuse else None)
    is_admin = request.user.is_account_admin
    if is_admin and baseline_form is None:
        baseline_form = BaselineSampleForm(account=account)
    samples = BaselineSample.objects.for_account(account).select_related("measured_by")[:50]
    return render(request, "analytics/escalations.html", {
        "nav": "analytics",
        "window": window,
        "query": _query(window),
        "period_form": PeriodForm(initial={"period": window.period if window.period != "custom" else "",
                                           "start": window.first_day, "end": window.last_day}),
        "periods": [(p, f"{p[:-1]} days") for p in metrics.PERIODS],
        "figures": figures,
        "escalations_per_week": round(figures["escalations"] * 7 / window.days, 2),
        "min_baseline_samples": metrics.MIN_BASELINE_SAMPLES,
        "target_hours": metrics.TARGET_HOURS_PER_WEEK,
        "revisit_after_weeks": metrics.REVISIT_AFTER_WEEKS,
        "chart": trend_chart(figures["trend"]),
        "verdict": verdict,
        "is_admin": is_admin,
        "baseline_form": baseline_form,
        "samples": samples,
    }, status=status)


@require_GET
@staff_required
def escalations_page(request):
    return _page(request)


@require_GET
@staff_required
def escalations_csv(request):
    """The daily series of the period, one row per day of the account's time zone."""
    try:
        window = parse_window(request.GET, account=request.user.account)
    except ValidationError as exc:
        return HttpResponse(_error_text(exc), status=400, content_type="text/plain; charset=utf-8")
    trend = metrics.daily_trend(account=request.user.account, window=window)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"escalations-{window.first_day.isoformat()}-{window.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["date", "escalations", "median_time_to_first_action_seconds"])
    for point in trend:
        median = point["median_time_to_first_action_seconds"]
        writer.writerow([point["date"].isoformat(), point["escalations"], "" if median is None else f"{median:g}"])
    return response


@require_POST
@admin_required
def baseline_add(request):
    form = BaselineSampleForm(request.POST, account=request.user.account)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.baseline_sample_create(
                actor=request.user, seconds=data["total_seconds"], measured_on=data["measured_on"],
                measured_by=data["measured_by"], measured_by_name=data["measured_by_name"], note=data["note"],
            )
        except DjangoValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Baseline sample recorded.")
            return redirect(_back(request))
    return _page(request, baseline_form=form, status=400)


@require_POST
@admin_required
def baseline_delete(request, sample_id: int):
    try:
        services.baseline_sample_delete(actor=request.user, sample_id=sample_id)
    except BaselineSample.DoesNotExist:
        raise Http404("Not found.") from None
    messages.success(request, "Baseline sample deleted.")
    return redirect(_back(request))


def _back(request) -> str:
    url = reverse("analytics-escalations")
    try:
        return f"{url}?{_query(parse_window(request.POST, account=request.user.account))}"
    except ValidationError:
        return url


@require_GET
@operator_required
def pilots_page(request):
    """Every account's pilot verdict side by side (platform operators only)."""
    verdicts = metrics.pilot_scorecard()
    return render(request, "analytics/pilots.html", {
        "nav": "pilots",
        "verdicts": verdicts,
        "platform_verdict": metrics.platform_verdict(verdicts),
        "target_hours": metrics.TARGET_HOURS_PER_WEEK,
        "revisit_after_weeks": metrics.REVISIT_AFTER_WEEKS,
    })

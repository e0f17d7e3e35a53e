"""Server-rendered pages: the sessions list and the session page. Same services as the API."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException, ValidationError

from accounts.models import User
from escalations import handoffs as manager
from escalations import selectors, services
from escalations.models import HandoffIntent, SessionStatus, StepOutcome
from escalations.templatetags.escalation_ui import item_text
from resolutionflow import metrics


def member_required(view):
    """Logged in and belonging to an account (operators without one use the admin)."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.account_id:
            if request.user.is_superuser:
                return redirect("admin:index")
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    problem = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))
    client_name = forms.CharField(max_length=200, required=False)
    psa_ticket_id = forms.CharField(max_length=64, required=False, label="PSA ticket")


class StepForm(forms.Form):
    action = forms.CharField(max_length=2_000, label="What did you try?")
    result = forms.CharField(max_length=5_000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             label="What happened?")
    outcome = forms.ChoiceField(choices=StepOutcome.choices)


class MessageForm(forms.Form):
    body = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}), label="Message")
    to_copilot = forms.BooleanField(required=False)


class ResolveForm(forms.Form):
    resolution = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}),
                                 label="What fixed it?")


class EscalateForm(forms.Form):
    reason = forms.CharField(max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))
    target_user_id = forms.UUIDField(required=False)


@member_required
def home(request):
    return redirect("session-list")


@member_required
def session_list(request):
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = services.session_create(actor=request.user, **form.cleaned_data)
        return redirect("pilot", session_id=session.pk)
    status = request.GET.get("status", "")
    visible = selectors.sessions_visible_to(request.user)
    counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
    qs = visible.select_related("owner").annotate(step_count=Count("steps")).order_by("-created_at")
    if status in SessionStatus.values:
        qs = qs.filter(status=status)
    tabs = [("", "All", sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in SessionStatus.choices
        if value != SessionStatus.REQUESTING_ESCALATION or counts.get(value)
    ]
    return render(request, "escalations/session_list.html", {
        "sessions": qs[:200], "form": form, "status": status, "statuses": SessionStatus.choices, "tabs": tabs,
        "nav": "sessions",
        "waiting": selectors.handoff_queue(account=request.user.account).count() if request.user.is_staff_role
        else None,
    })


def _suggested_steps(handoff) -> list[str]:
    """Chips under the message box: the latest assessment's suggested next steps."""
    assessment = handoff.assessment if handoff and isinstance(handoff.assessment, dict) else {}
    steps = assessment.get("suggested_steps") or []
    out = []
    for item in steps if isinstance(steps, list) else []:
        text = item_text(item).strip()
        if text and text not in out:
            out.append(text)
    return out[:6]


@member_required
def pilot(request, session_id):
    user = request.user
    session = selectors.session_detail(user=user, session_id=session_id)
    open_handoff = session.open_handoffs[0] if session.open_handoffs else None
    latest = selectors.latest_handoff_for_session(session=session)
    teammates = User.objects.for_account(user.account).filter(is_active=True).exclude(pk=user.pk)
    is_owner = session.owner_id == user.pk and session.status != SessionStatus.RESOLVED
    can_write = session.status != SessionStatus.RESOLVED and selectors.is_collaborator(session=session, user=user)
    # The handoff screen (Context) is for staff, and for whoever asked or was asked.
    context_open_to_me = latest is not None and (
        user.is_staff_role or user.pk in (latest.requested_by_id, latest.target_user_id)
    )
    return render(request, "escalations/pilot.html", {
        "nav": "sessions",
        "session": session,
        # The most recent ones (at most SESSION_MAX_STEPS / _MESSAGES), as in the API's detail.
        "steps": session.recent_steps,
        "chat": session.recent_messages,
        "open_handoff": open_handoff,
        "latest_handoff": latest,
        "context_open_to_me": context_open_to_me,
        # The pickup link of a notification opens the handoff screen for whoever may claim it.
        "autopen_context": context_open_to_me and request.GET.get("pickup") == "true"
        and (user.is_staff_role or latest.target_user_id == user.pk),
        "watch_handoff": open_handoff if open_handoff and user.is_staff_role else None,
        "just_claimed": bool(latest and latest.claimed_by_id == user.pk and latest.first_action_at is None
                             and session.status == SessionStatus.ACTIVE),
        "can_write": can_write,
        "is_owner": is_owner,
        "suggested_steps": _suggested_steps(latest) if can_write else [],
        "step_form": StepForm(), "message_form": MessageForm(), "resolve_form": ResolveForm(),
        "outcomes": StepOutcome.choices,
        "engineers": [u for u in teammates if u.is_staff_role],
        "teammates": teammates,
        "pickup": request.GET.get("pickup") == "true",
    })


def _error_text(exc) -> str:
    detail = getattr(exc, "detail", None) or getattr(exc, "args", [""])[0] or str(exc)
    if isinstance(detail, dict):
        return " ".join(str(m) for msgs in detail.values() for m in (msgs if isinstance(msgs, list) else [msgs]))
    if isinstance(detail, list):
        return " ".join(str(m) for m in detail)
    return str(detail)


def _session_action(form_class, do, done=None):
    @member_required
    @require_POST
    def view(request, session_id):
        session = selectors.session_get(user=request.user, session_id=session_id)
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect("pilot", session_id=session.pk)
        try:
            do(request, session, form.cleaned_data)
        except (APIException, ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            if done:
                messages.success(request, done)
        return redirect("pilot", session_id=session.pk)

    return view


def _escalate(intent):
    def do(request, session, data):
        manager.handoff_request(
            user=request.user, session_id=session.pk, intent=intent, reason=data["reason"],
            target_user_id=data.get("target_user_id"), idempotency_key=None, payload=None,
            render=lambda h: {"id": str(h.pk)},
        )
        messages.success(request, "Escalated. Engineers have been notified." if intent == HandoffIntent.ESCALATE
                         else "Handed off. Your teammate has been notified.")
    return do


step_add = _session_action(StepForm, lambda r, s, d: services.step_add(session=s, actor=r.user, **d),
                           done="Step added to the timeline.")
message_add = _session_action(MessageForm, lambda r, s, d: services.message_add(session=s, actor=r.user, **d))
resolve = _session_action(ResolveForm, lambda r, s, d: services.session_resolve(session=s, actor=r.user, **d),
                          done="Session resolved. Nice work.")
escalate = metrics.escalate_timer("web", HandoffIntent.ESCALATE)(
    _session_action(EscalateForm, _escalate(HandoffIntent.ESCALATE)))
handoff = metrics.escalate_timer("web", HandoffIntent.HANDOFF)(
    _session_action(EscalateForm, _escalate(HandoffIntent.HANDOFF)))


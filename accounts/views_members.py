"""The members page (`/settings/members/`, account admins) and the invite link (`/invite/<token>`).

Admins see the account's members and pending invites, invite people, revoke invites, change roles,
deactivate and reactivate. Technicians and engineers get 403; another account's member or invite
id is a 404 (fetched inside the account). The writes are services: accounts/invites.py and
accounts/members.py. Bad input re-renders the page with the message and a 400.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import invites, members
from accounts.models import Invite, Role, User
from accounts.tenancy import get_for_account_or_404

# The page lists at most this many members (and pending invites); beyond it, use the admin.
PAGE_LIMIT = 500
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"

GONE = {
    "unknown": ("This invite link is not valid",
                "Check that you opened the whole link from the email. If it still fails, ask your admin to "
                "invite you again."),
    "used": ("This invite has already been used",
             "An invite link works once. If you set your password, log in with your email and password."),
    "revoked": ("This invite is no longer valid",
                "It was revoked, or replaced by a newer invite: use the link in the most recent email, or ask "
                "your admin to invite you again."),
    "expired": ("This invite has expired",
                "Invite links work for a limited time. Ask your admin to invite you again."),
}


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=invites.EMAIL_MAX_LENGTH, label="Email")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.TECHNICIAN, label="Role")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AcceptForm(forms.Form):
    name = forms.CharField(max_length=invites.NAME_MAX_LENGTH, label="Your name",
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password = forms.CharField(label="Password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_confirm = forms.CharField(label="Password again", strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


def _admin(request) -> User:
    """The signed-in account admin; anyone else (technicians, engineers, operators without an
    account) gets 403, before any lookup."""
    user = request.user
    if not (user.account_id and user.is_account_admin):
        raise PermissionDenied
    return user


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _page(request, admin: User, *, invite_form=None, error: str | None = None, status: int = 200):
    account = admin.account
    people = User.objects.for_account(account).order_by("name", "email")[:PAGE_LIMIT]
    pending = (Invite.objects.for_account(account).pending().select_related("invited_by")
               .order_by("-created_at")[:PAGE_LIMIT])
    return render(request, "accounts/members.html", {
        "nav": "members", "members": people, "invites": pending, "roles": Role.choices,
        "invite_form": invite_form or InviteForm(), "error": error, "invite_days": settings.INVITE_EXPIRY_DAYS,
    }, status=status)


@login_required
@require_GET
def members_page(request):
    return _page(request, _admin(request))


@login_required
@require_POST
def invite_create(request):
    admin = _admin(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invite = invites.invite_create(account=admin.account, actor=admin, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Invite sent to {invite.email} ({invite.get_role_display()}).")
            return redirect("members")
    return _page(request, admin, invite_form=form, status=400)


@login_required
@require_POST
def invite_revoke(request, invite_id):
    admin = _admin(request)
    invite = get_for_account_or_404(Invite.objects.all(), admin.account, pk=invite_id)
    if invites.invite_revoke(invite=invite):
        messages.success(request, f"Invite to {invite.email} revoked: its link no longer works.")
    else:
        messages.info(request, f"The invite to {invite.email} was no longer pending.")
    return redirect("members")


def _member(admin: User, member_id) -> User:
    return get_for_account_or_404(User.objects.all(), admin.account, pk=member_id)


@login_required
@require_POST
def member_role(request, member_id):
    admin = _admin(request)
    member = _member(admin, member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _page(request, admin, error="Choose technician, engineer or admin.", status=400)
    try:
        member = members.member_set_role(member=member, role=form.cleaned_data["role"])
    except ValidationError as exc:
        return _page(request, admin, error=" ".join(exc.messages), status=400)
    messages.success(request, f"{member.display_name} is now {member.get_role_display().lower()}.")
    return redirect("members")


@login_required
@require_POST
def member_deactivate(request, member_id):
    admin = _admin(request)
    member = _member(admin, member_id)
    try:
        member = members.member_deactivate(member=member)
    except ValidationError as exc:
        return _page(request, admin, error=" ".join(exc.messages), status=400)
    if member.pk == admin.pk:
        return redirect("login")
    messages.success(request, f"{member.display_name} is deactivated: signed out everywhere, and cannot log in.")
    return redirect("members")


@login_required
@require_POST
def member_reactivate(request, member_id):
    admin = _admin(request)
    member = members.member_reactivate(member=_member(admin, member_id))
    messages.success(request, f"{member.display_name} is active again and can log in with their password.")
    return redirect("members")


@never_cache  # the page's URL holds the link's token
@require_http_methods(["GET", "POST"])
def invite_accept(request, token):
    try:
        invite = invites.invite_for_token(token)
    except invites.InviteUnusable as exc:
        return _gone(request, exc.reason)
    form = AcceptForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = invites.invite_accept(token=token, **form.cleaned_data)
            except invites.InviteUnusable as exc:  # used or revoked while the form was open
                return _gone(request, exc.reason)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                login(request, user, backend=LOGIN_BACKEND)
                messages.success(request, f"Welcome to {invite.account.name}, {user.display_name}.")
                return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invite_accept.html", {"form": form, "invite": invite}, status=status)


def _gone(request, reason: str):
    title, text = GONE[reason]
    return render(request, "accounts/invite_gone.html", {"title": title, "text": text, "reason": reason},
                  status=404 if reason == "unknown" else 410)

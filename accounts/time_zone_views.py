"""`/settings/time-zone`: every member picks the zone their pages show (or the account's);
account admins also set the account's zone, which decides its analytics days (accounts.time_zones)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.time_zone_services import account_time_zone_update, user_time_zone_update
from accounts.time_zones import MAX_LENGTH, account_time_zone_name, time_zone_names, validate_time_zone


class _ZoneField(forms.CharField):
    """A select of the IANA names; the posted value is validated by `zoneinfo`, so a stale or
    hand-made name gets a clear message rather than "Select a valid choice"."""

    def __init__(self, *, first=None, **kwargs):
        choices = ([first] if first else []) + [(name, name.replace("_", " ")) for name in time_zone_names()]
        super().__init__(max_length=MAX_LENGTH, widget=forms.Select(choices=choices), **kwargs)


class UserTimeZoneForm(forms.Form):
    time_zone = _ZoneField(required=False, label="Your time zone",
                           help_text="The times on your pages. Pick one, or follow the account's.")

    def __init__(self, *args, account_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget.choices.insert(0, ("", f"Use the account's ({account_zone})"))

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        if value:
            validate_time_zone(value)
        return value


class AccountTimeZoneForm(forms.Form):
    account_time_zone = _ZoneField(label="The account's time zone",
                                   help_text="Its analytics days, its “today” and the CSV, and the times of "
                                             "members who follow it.")

    def clean_account_time_zone(self):
        value = self.cleaned_data["account_time_zone"].strip()
        validate_time_zone(value)
        return value


@login_required
@require_http_methods(["GET", "POST"])
def time_zone_settings(request):
    user = request.user
    if not user.account_id:
        raise PermissionDenied
    account_zone = account_time_zone_name(user.account)
    user_form = UserTimeZoneForm(initial={"time_zone": user.time_zone}, account_zone=account_zone)
    account_form = AccountTimeZoneForm(initial={"account_time_zone": account_zone}) if user.is_account_admin else None
    status = 200
    if request.method == "POST":
        if "account_time_zone" in request.POST:
            if account_form is None:
                raise PermissionDenied
            account_form = AccountTimeZoneForm(request.POST)
            if account_form.is_valid():
                account_time_zone_update(actor=user, time_zone=account_form.cleaned_data["account_time_zone"])
                messages.success(request, "The account's time zone is saved. Its analytics days follow it.")
                return redirect("time-zone-settings")
        else:
            user_form = UserTimeZoneForm(request.POST, account_zone=account_zone)
            if user_form.is_valid():
                try:
                    user_time_zone_update(user=user, time_zone=user_form.cleaned_data["time_zone"])
                except ValidationError as exc:
                    user_form.add_error("time_zone", exc)
                else:
                    messages.success(request, "Your time zone is saved.")
                    return redirect("time-zone-settings")
        status = 400
    return render(request, "accounts/time_zone.html", {
        "nav": "time-zone", "user_form": user_form, "account_form": account_form, "account_zone": account_zone,
    }, status=status)

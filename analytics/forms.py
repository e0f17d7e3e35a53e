"""Forms of the analytics page: the period selector and the baseline sample."""

from django import forms
from django.utils import timezone

from accounts.models import User
from analytics import metrics
from analytics.models import MAX_BASELINE_SECONDS


class BaselineSampleForm(forms.Form):
    """A stopwatch timing in minutes and seconds (what an admin reads off a stopwatch)."""

    minutes = forms.IntegerField(min_value=0, max_value=MAX_BASELINE_SECONDS // 60, initial=0)
    seconds = forms.IntegerField(min_value=0, max_value=59, initial=0)
    measured_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate,
                                  label="Measured on")
    measured_by = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Measured by",
                                         empty_label="— someone without a login —")
    measured_by_name = forms.CharField(max_length=150, required=False, label="…or their name")
    note = forms.CharField(max_length=500, required=False, label="Note (the ticket, what made it slow)")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measured_by"].queryset = User.objects.for_account(account).filter(is_active=True)

    def clean(self):
        data = super().clean()
        total = (data.get("minutes") or 0) * 60 + (data.get("seconds") or 0)
        if "minutes" in data and "seconds" in data:
            if total < 1:
                raise forms.ValidationError("A timing is at least one second.")
            if total > MAX_BASELINE_SECONDS:
                raise forms.ValidationError("A timing is at most 8 hours.")
        data["total_seconds"] = total
        if not data.get("measured_by") and not (data.get("measured_by_name") or "").strip():
            self.add_error("measured_by_name", "Say who measured it: pick a member or type a name.")
        return data


class PeriodForm(forms.Form):
    """Only for rendering the selector; the values are parsed by `analytics.api.parse_window`."""

    period = forms.ChoiceField(choices=[(p, f"Last {p[:-1]} days") for p in metrics.PERIODS], required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

from django import forms

from accounts.services import TOKEN_NAME_MAX_LENGTH


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=TOKEN_NAME_MAX_LENGTH, help_text="What it is for, e.g. “PSA sync”.")
    expires_at = forms.DateTimeField(
        required=False, label="Expires (UTC)", help_text="Leave empty for a token that does not expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])

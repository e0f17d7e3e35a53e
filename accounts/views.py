"""Pages of accounts: the API tokens page (`/settings/tokens/`). Everyone manages their own tokens;
an account admin also sees every member's and may revoke them. Writes go through the same
services and access rules as the API (accounts/services.py, accounts/selectors.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ApiTokenForm
from accounts.selectors import api_token_get, api_tokens_visible_to
from accounts.services import api_token_issue, api_token_revoke

# A page shows at most this many tokens per list (a person rarely has more than a handful).
PAGE_LIMIT = 200


def _member(request):
    if not request.user.account_id:
        raise PermissionDenied
    return request.user


@never_cache  # the response that shows a new key must not be stored anywhere
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    user = _member(request)
    created = None
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = api_token_issue(user=user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            created = {"token": token, "key": key}
            form = ApiTokenForm()
    mine = api_tokens_visible_to(user)[:PAGE_LIMIT]
    members = None
    if user.is_account_admin:
        members = api_tokens_visible_to(user, everyone=True).exclude(user=user)[:PAGE_LIMIT]
    status = 400 if request.method == "POST" and created is None else 200
    return render(request, "accounts/api_tokens.html",
                  {"form": form, "created": created, "mine": mine, "members": members, "nav": "tokens"},
                  status=status)


@login_required
@require_POST
def api_token_revoke_view(request, token_id):
    user = _member(request)
    token = api_token_get(user=user, token_id=token_id)
    api_token_revoke(token=token)
    whose = "" if token.user_id == user.pk else f" of {token.user.display_name}"
    messages.success(request, f"Token “{token.name}”{whose} revoked.")
    return redirect("api-tokens")

"""Sign-in on django-allauth (issue #11; docs/security.md "Sign-in").

allauth does the flows — email + password login, password reset by email, password change, the
TOTP second factor (allauth.mfa) — and this module fits them to the product:

- `AccountAdapter`: nobody signs up (people join an account through its admin); the failed-login
  message is the one `/login/` always had, the same for an unknown email and a wrong password;
  confirming the password (before a second factor is added or removed) keeps the person signed in
  when Django re-hashes that password on the way.
- `LoginForm`: allauth's form, whose email field is posted as `username` like Django's login form
  was (API clients, password managers and the tests keep working). Its `authenticate()` call goes
  through django-axes (`accounts.lockout`), the one lockout for every sign-in path; allauth's own
  failed-login limit is off in settings (`ACCOUNT_RATE_LIMITS`).

- `MFAAdapter`: TOTP secrets are encrypted at rest like the other secrets (FIELD_ENCRYPTION_KEY).

allauth's login view is served at `/login/` (and by allauth at `/accounts/login/`), and the admin's
login is the same view with a check of admin rights (resolutionflow/admin.py).
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.contrib.auth import update_session_auth_hash

# Shown for a wrong password and for an email without an account alike (no enumeration).
MISMATCH_MESSAGE = "Your email and password didn't match. Please try again."

# The form's field name for the email, as Django's login form named it.
LOGIN_FIELD_NAME = "username"


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter: closed signup, the product's messages."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": MISMATCH_MESSAGE,
    }

    def is_open_for_signup(self, request) -> bool:
        """Accounts have no self-signup: an account admin adds people (docs/security.md)."""
        return False

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def reauthenticate(self, user, password: str) -> bool:
        """The "confirm your password" check. Checking a password stored under an older hasher, or
        with fewer iterations than this Django's (every Django upgrade raises them), stores it
        re-hashed; the session holds a hash of the stored password, so the next request would sign
        the person out right after they typed it correctly. A login refreshes that hash itself
        (django.contrib.auth.login); here the session takes the new one."""
        stored = user.password
        confirmed = super().reauthenticate(user, password)
        if confirmed:
            user.refresh_from_db(fields=["password"])
            if user.password != stored:
                update_session_auth_hash(self.request, user)
        return confirmed


class LoginForm(AllauthLoginForm):
    """allauth's login form, its email field posted as `username`.

    Django names an input after `add_prefix(field name)`, for rendering and for reading the POST,
    so only the name on the wire changes; allauth still sees its `login` field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["login"]
        field.label = "Email"
        field.widget.attrs.update({"autocomplete": "email", "autofocus": True})
        field.widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)

    @property
    def credentials_mismatch(self) -> bool:
        """A wrong password or an unknown email (the page says so in its own words)."""
        return self.has_error("__all__", code="email_password_mismatch")

    def add_prefix(self, field_name):
        if field_name == "login":
            field_name = LOGIN_FIELD_NAME
        return super().add_prefix(field_name)



class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa's adapter: TOTP secrets are stored encrypted with FIELD_ENCRYPTION_KEY (Fernet,
    the first key encrypts, any key decrypts: rotation as for the other secrets at rest)."""

    def _fernet(self) -> MultiFernet:
        keys = [key.strip() for key in settings.FIELD_ENCRYPTION_KEY.split(",") if key.strip()]
        return MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return self._fernet().decrypt(encrypted_text.encode()).decode()

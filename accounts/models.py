"""Accounts (tenants) and their users. A user belongs to exactly one account, with one role."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from knox.models import AbstractAuthToken, AuthTokenManager
from knox.settings import CONSTANTS

from accounts.time_zones import DEFAULT_TIME_ZONE, validate_time_zone
from accounts.time_zones import MAX_LENGTH as MAX_TIME_ZONE_LENGTH


class Account(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    # Minutes an escalation may wait unclaimed before the account's admins are re-notified.
    escalation_renotify_minutes = models.PositiveIntegerField(default=10)
    # IANA zone of the account's analytics days and its members' pages (accounts.time_zones).
    time_zone = models.CharField(max_length=MAX_TIME_ZONE_LENGTH, default=DEFAULT_TIME_ZONE,
                                 validators=[validate_time_zone],
                                 help_text="IANA name, e.g. Australia/Sydney: the account's days and times.")
    # Every member must set up an authenticator app (TOTP) before anything else (accounts/mfa_policy.py).
    mfa_required = models.BooleanField(
        "require two-factor authentication", default=False,
        help_text="Every member must set up an authenticator app before using ResolutionFlow.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    TECHNICIAN = "technician", "Technician"
    ENGINEER = "engineer", "Engineer"
    ADMIN = "admin", "Admin"


STAFF_ROLES = (Role.ENGINEER, Role.ADMIN)


class UserQuerySet(models.QuerySet):
    def for_account(self, account):
        if account is None:
            return self.none()
        return self.filter(account=account)

    def staff(self):
        return self.filter(role__in=STAFF_ROLES, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        extra.setdefault("is_staff", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_superuser"] = True
        extra["is_staff"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Email-login user. `account` is null only for platform operators (superusers)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TECHNICIAN)
    is_active = models.BooleanField(default=True)
    # Django's flag for its own admin; platform operators only. Account admins get in by role.
    is_staff = models.BooleanField(default=False)
    email_notifications = models.BooleanField(default=True, help_text="Send me an email for escalations.")
    chat_mentions = models.BooleanField(default=True, help_text="Mention me in Slack/Teams messages.")
    # The user's own zone for the pages they see; blank: the account's (accounts.time_zones).
    time_zone = models.CharField(max_length=MAX_TIME_ZONE_LENGTH, blank=True, validators=[validate_time_zone],
                                 help_text="IANA name; blank: use the account's time zone.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["account", "role"])]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.name or self.email

    @property
    def is_staff_role(self):
        """Engineer or admin: may see the queue and claim."""
        return self.role in STAFF_ROLES and self.account_id is not None

    @property
    def is_account_admin(self):
        return self.role == Role.ADMIN and self.account_id is not None


# --- Personal API tokens ------------------------------------------------------------------------

class ApiTokenQuerySet(models.QuerySet):
    def for_account(self, account):
        """A token belongs to its user's account."""
        if account is None:
            return self.none()
        return self.filter(user__account=account)


class ApiTokenManager(AuthTokenManager.from_queryset(ApiTokenQuerySet)):
    """knox's manager (`create(user, expiry=<timedelta>)` → (token, key)) with `for_account`."""


class ApiToken(AbstractAuthToken):
    """A personal API token: knox's token model, swapped in by `settings.KNOX_TOKEN_MODEL`
    (knox's supported extension point), with a public id, a name and when it was last used.

    Only the SHA-512 `digest` of the key is stored; `token_key` (the key's first 15 characters) is
    shown as its prefix so people can tell their tokens apart. knox made the digest the primary key;
    here it is a unique column and the public id is a UUID like every other object's.
    `last_used_at` is written at most once a minute per token (accounts/auth.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(max_length=100, default="CLI")
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenManager()

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.token_key}…)"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()


# --- Invites (accounts/invites.py) ---------------------------------------------------------------

class InviteQuerySet(models.QuerySet):
    def for_account(self, account):
        if account is None:
            return self.none()
        return self.filter(account=account)

    def pending(self):
        """Not accepted, not revoked, not expired."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invite(models.Model):
    """An invitation to join `account` as `role`, sent by email as a single-use link.

    Only the SHA-256 `token_hash` of the link's token is stored (like API tokens' digests): the
    token is made when the email is sent (accounts/tasks.py) and exists nowhere else. It is null
    until then. One pending invite per (account, email): re-inviting replaces it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TECHNICIAN)
    invited_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "email"])]
        constraints = [
            # Re-inviting closes the open invite first (accounts/invites.py); this holds it.
            models.UniqueConstraint(fields=["account", "email"], name="one_open_invite_per_email",
                                    condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

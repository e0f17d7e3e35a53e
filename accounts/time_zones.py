"""Time zones (issue #11): the one place that says which zone a user or an account sees.

An account has an IANA zone (`Account.time_zone`, default "UTC"), set by its admins; it decides
the account's analytics days (`analytics.days`). A user may override it for what *they* see
(`User.time_zone`, blank: the account's). Every page is rendered in the user's effective zone
(`TimeZoneMiddleware` activates it), and times carry the zone's abbreviation ("Nov 28, 12:45 AEDT").
The API keeps ISO 8601 UTC timestamps.

Zone names are validated against the system's IANA database (`zoneinfo`), never passed on unchecked:
the account's name reaches PostgreSQL only as a bound parameter (`AT TIME ZONE %(zone)s`).
"""

from __future__ import annotations

import functools
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.utils import timezone

DEFAULT_TIME_ZONE = "UTC"
# The API's timestamps stay ISO 8601 UTC for integrators, also for a signed-in browser's fetches.
API_PREFIX = "/api/"
# Longest IANA name today is 32 characters ("America/Argentina/ComodRivadavia").
MAX_LENGTH = 64


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA names a user can pick, sorted (the legacy aliases such as "US/Eastern" are valid
    when typed, but not offered)."""
    names = {name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))}
    return ("UTC", *sorted(names - {"UTC"}))


def zone(name: str) -> tzinfo:
    """The zone of a validated name ("UTC" and an empty name are `datetime.UTC`)."""
    if not name or name == "UTC":
        return UTC
    return ZoneInfo(name)


def validate_time_zone(value: str) -> None:
    """A model/form validator: an IANA zone name this system knows, or a ValidationError that says so."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH or value != value.strip():
        raise ValidationError("Enter an IANA time zone name such as Europe/London or Australia/Sydney.",
                              code="invalid_time_zone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError("%(value)s is not a time zone we know. Use an IANA name such as "
                              "Europe/London or Australia/Sydney.", code="invalid_time_zone",
                              params={"value": value}) from None


def account_time_zone_name(account) -> str:
    return (account.time_zone if account is not None else "") or DEFAULT_TIME_ZONE


def account_zone(account) -> tzinfo:
    """The zone of the account's analytics days and the default of its members' pages."""
    return zone(account_time_zone_name(account))


def effective_time_zone_name(user) -> str:
    """The user's own choice, else their account's, else UTC (anonymous users, platform operators)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return DEFAULT_TIME_ZONE
    if user.time_zone:
        return user.time_zone
    return account_time_zone_name(user.account) if user.account_id else DEFAULT_TIME_ZONE


class TimeZoneMiddleware:
    """Activates the signed-in user's effective zone for the request, so templates render local
    times (`{{ value|date:"M j, H:i T" }}` → "Nov 28, 12:45 AEDT") and `timezone.localdate()` is
    the user's today. After AuthenticationMiddleware. Not under /api/. A name that no longer validates (a zone
    removed from the system database) falls back to UTC rather than failing the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            # The API answers in UTC whoever asks (DRF renders datetimes in the active zone).
            return self.get_response(request)
        name = effective_time_zone_name(getattr(request, "user", None))
        try:
            timezone.activate(zone(name))
            request.time_zone_name = name
        except (ZoneInfoNotFoundError, ValueError, OSError):
            timezone.activate(UTC)
            request.time_zone_name = DEFAULT_TIME_ZONE
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


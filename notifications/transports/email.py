"""Email, one message per recipient, through Django's email API: django-anymail's ESP backends
in production (https://anymail.dev/), SMTP via EMAIL_URL, the console backend by default.

The message is rendered when the delivery is created (templates/notifications/email/<event>.txt
and .html) and stored, so a retry sends the same message; `X-ResolutionFlow-Delivery` lets the
ESP logs be matched with the delivery row. Retryable: connection errors, SMTP temporary failures,
ESP API errors with 429/5xx or no status. Not retryable: refused recipients, invalid addresses,
other 4xx from the ESP.
"""

from __future__ import annotations

import json
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from notifications.transports.base import TransportError
from resolutionflow.outbound import excerpt, summary


def build(*, template: str, context: dict, to: str) -> dict:
    subject = render_to_string(f"notifications/email/{template}_subject.txt", context).strip().replace("\n", " ")
    return {
        "to": [to],
        "subject": subject[:200],
        "text": render_to_string(f"notifications/email/{template}.txt", context),
        "html": render_to_string(f"notifications/email/{template}.html", context),
    }


def _anymail_text(exc) -> str:
    """Anymail's str() appends the ESP's whole answer; keep its message, the status and a short
    excerpt of the answer."""
    parts = [" ".join(str(a) for a in exc.args)]
    if getattr(exc, "status_code", None) is not None:
        parts.append(f"{getattr(exc, 'esp_name', None) or 'ESP'} API response {exc.status_code}")
        answer = getattr(getattr(exc, "response", None), "text", "")
        if answer:
            parts.append(excerpt(answer))
    return ": ".join(p for p in parts if p)


def _classify(exc: Exception) -> TransportError:
    """The failure as a TransportError whose message is printable and short (summary())."""
    try:
        from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a pinned dependency
        AnymailAPIError = AnymailInvalidAddress = AnymailRecipientsRefused = ()  # noqa: N806
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress):
        return TransportError(summary(_anymail_text(exc)), retryable=False)
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        retryable = status is None or status >= 500 or status == 429
        return TransportError(summary(_anymail_text(exc)), retryable=retryable, status_code=status)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return TransportError(summary(f"Recipient refused: {exc}"), retryable=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        # 4xx SMTP replies are temporary (RFC 5321 §4.2.1), 5xx permanent.
        return TransportError(summary(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"),
                              retryable=400 <= exc.smtp_code < 500)
    return TransportError(summary(f"{exc.__class__.__name__}: {exc}"), retryable=True)


def send(delivery) -> None:
    message = json.loads(delivery.body)
    email = EmailMultiAlternatives(
        subject=message["subject"], body=message["text"], from_email=settings.DEFAULT_FROM_EMAIL,
        to=message["to"], headers={"X-ResolutionFlow-Delivery": str(delivery.pk)},
    )
    email.attach_alternative(message["html"], "text/html")
    try:
        connection = get_connection(fail_silently=False, timeout=settings.OUTBOUND_HTTP_TIMEOUT_SECONDS)
        sent = connection.send_messages([email])
    except Exception as exc:  # every backend raises its own types; classify them
        raise _classify(exc) from None
    if not sent:
        raise TransportError("The email backend sent nothing.", retryable=True)

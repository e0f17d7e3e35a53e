"""Outbound transports, one module per kind, and the registry the outbox sends through.

Each `send(delivery)` sends the stored body to the delivery's target and raises
`TransportError` (base.py) on failure; its return value is recorded (a PSA note id).
"""

from notifications.transports import email, psa, slack, teams, webhook

SENDERS = {
    "slack": slack.send,
    "teams": teams.send,
    "email": email.send,
    "webhook": webhook.send,
    "psa": psa.send,
}


def sender_for(kind: str):
    return SENDERS[kind]

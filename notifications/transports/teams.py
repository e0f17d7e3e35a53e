"""Microsoft Teams: a Workflows webhook ("When a Teams webhook request is received") posting an
Adaptive Card to a channel or chat.

https://learn.microsoft.com/en-us/connectors/teams/?tabs=text1#microsoft-teams-webhook
The body is a message with one Adaptive Card attachment; Workflows answers 202 Accepted (the
flow runs later, so a 2xx only means "queued"). Adaptive Card 1.4 is what Teams renders
(https://adaptivecards.io/explorer/). Mentions: `<at>Name</at>` in a TextBlock plus an entry in
`msteams.entities` whose `mentioned.id` is the user's UPN (their email address)
(https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-format#mention-support-within-adaptive-cards).
Old Office 365 connector URLs (outlook.office.com/webhook) are retired; they answer 4xx.

TextBlock texts and FactSet values are Markdown (bold, italic, lists, `[label](url)` links:
https://learn.microsoft.com/en-us/adaptive-cards/authoring-cards/text-features). Text from users
is escaped with backslashes (`_md`), so a reason like `[Reset your password](https://evil)` shows
as typed instead of a link posted under the workflow's trusted name (issue #10).
"""

from __future__ import annotations

import re

from notifications.transports import http

# Backslash-escaped anywhere: emphasis, links, code, strike-through, headings, quotes, and the
# angle brackets of `<at>` mention tags. List markers count only at the start of a line.
_MARKDOWN_CHARS = re.compile(r"([\\`*_{}\[\]()#+!<>~|])")
_LIST_MARKER = re.compile(r"^(\s*)(-|\d+\.)(?=\s)", re.MULTILINE)


def _md(text: str) -> str:
    """`text` from a user, shown literally in a Markdown TextBlock or FactSet value."""
    escaped = _MARKDOWN_CHARS.sub(r"\\\1", text or "")
    return _LIST_MARKER.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def build(ctx: dict) -> dict:
    """The Adaptive Card for an escalation event. Every value from a user goes through `_md`; the
    mentions are the ones we add (`<at>name</at>` matched by `msteams.entities`)."""
    facts = [{"title": "Requested by", "value": _md(ctx["requested_by"])}]
    if ctx.get("claimed_by"):
        facts.append({"title": "Picked up by", "value": _md(ctx["claimed_by"])})
    else:
        facts.append({"title": "For", "value": _md(ctx.get("target") or "Any engineer")})
    if ctx.get("client_name"):
        facts.append({"title": "Client", "value": _md(ctx["client_name"])})
    if ctx.get("ticket"):
        facts.append({"title": "Ticket", "value": _md(ctx["ticket"])})
    body = [
        {"type": "TextBlock", "text": _md(ctx["headline"]), "size": "Large", "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": f"**Reason:** {_md(ctx['reason'])}", "wrap": True},
        {"type": "FactSet", "facts": facts},
        {"type": "TextBlock", "text": "**Problem**", "wrap": True, "spacing": "Medium"},
        {"type": "TextBlock", "text": _md(ctx["problem_excerpt"]), "wrap": True, "isSubtle": True},
    ]
    mentioned = [m for m in ctx.get("mentions", []) if m.get("email")]
    entities = [
        {"type": "mention", "text": f"<at>{m['name']}</at>", "mentioned": {"id": m["email"], "name": m["name"]}}
        for m in mentioned
    ]
    if entities:
        body.append({"type": "TextBlock", "text": "cc " + " ".join(e["text"] for e in entities), "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": ctx["button"], "url": ctx["link"]}],
    }
    if entities:
        card["msteams"] = {"entities": entities}
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card},
        ],
    }


def build_test(*, channel_name: str, requested_by: str) -> dict:
    """The Integrations page's "Send a test": a short card that says who sent it."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": "ResolutionFlow test message", "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": f"{_md(requested_by)} checked the channel {_md(channel_name)}. "
                                          "No action needed.", "wrap": True, "isSubtle": True},
        ],
    }
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def send(delivery) -> http.HttpResult:
    return http.post(delivery.channel.url, body=delivery.body.encode())

"""Slack: incoming webhooks with a Block Kit message.

https://api.slack.com/messaging/webhooks — POST JSON to the webhook URL; 200 "ok" on success.
Errors are plain-text codes: 400 invalid_payload / no_text, 403 action_prohibited,
404 no_service / channel_not_found, 410 channel_is_archived (the channel is gone: we disable it),
429 rate_limited with Retry-After (about one message per second per webhook).
Block limits (https://api.slack.com/reference/block-kit/blocks): header text 150 characters,
section text 3000, each section field 2000; mrkdwn needs &, < and > escaped
(https://api.slack.com/reference/surfaces/formatting#escaping), and `verbatim: true` on a text
object turns off the auto-linking of URLs, channel names and mentions
(https://api.slack.com/reference/block-kit/composition-objects#text).
Mentions need the Slack member id (`<@U012AB3CD>`); users without one are named, not mentioned.
"""

from __future__ import annotations

from notifications.transports import http

# mrkdwn's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping).
# Escaped, text from users cannot open a link (`<https://…|label>`) or ping anyone: `<!channel>`,
# `<!here>`, `<@U…>` and `<#C…>` arrive as `&lt;!channel&gt;`, shown literally.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
HEADER_LIMIT = 150


def _esc(text: str, limit: int | None = None, *, newline: str = "\n") -> str:
    """`text` from a user, escaped for mrkdwn, in at most `limit` characters counted after escaping
    (Slack's limits apply to what it receives). It is cut by whole characters before escaping, so
    an entity is never split (`&am…`); a cut ends with "…". `newline` replaces each line break
    (e.g. to keep a block quote going)."""
    pieces = [_ENTITIES.get(ch, newline if ch == "\n" else ch) for ch in (text or "")]
    if limit is None or sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    out, used = [], 0
    for piece in pieces:
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + "…"


def _cut(text: str, limit: int) -> str:
    """For plain_text objects, which Slack shows as they are (no escaping)."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(label: str, value: str, limit: int) -> dict:
    """A mrkdwn text object: our `label`, then the user's `value` escaped and cut to fit. `verbatim`
    stops Slack from turning bare URLs, channel names and @names in it into links and mentions."""
    return {"type": "mrkdwn", "text": label + _esc(value, limit - len(label)), "verbatim": True}


def build(ctx: dict) -> dict:
    """The Block Kit message for an escalation event (`ctx` from notifications.fanout). Every
    value that came from a user goes through `_esc`; the only mentions are the ones we add
    (ChatIdentity member ids, `cc <@U…>`)."""
    fields = [_mrkdwn("*Requested by*\n", ctx["requested_by"], FIELD_TEXT_LIMIT)]
    if ctx.get("claimed_by"):
        fields.append(_mrkdwn("*Picked up by*\n", ctx["claimed_by"], FIELD_TEXT_LIMIT))
    else:
        fields.append(_mrkdwn("*For*\n", ctx.get("target") or "Any engineer", FIELD_TEXT_LIMIT))
    if ctx.get("client_name"):
        fields.append(_mrkdwn("*Client*\n", ctx["client_name"], FIELD_TEXT_LIMIT))
    if ctx.get("ticket"):
        fields.append(_mrkdwn("*Ticket*\n", ctx["ticket"], FIELD_TEXT_LIMIT))
    problem_label = "*Problem*\n>"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(ctx["headline"], HEADER_LIMIT), "emoji": True}},
        {"type": "section", "text": _mrkdwn("*Reason:* ", ctx["reason"], SECTION_TEXT_LIMIT)},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {
            "type": "mrkdwn", "verbatim": True,
            "text": problem_label + _esc(ctx["problem_excerpt"], SECTION_TEXT_LIMIT - len(problem_label),
                                         newline="\n>"),
        }},
    ]
    mentions = [f"<@{m['slack_member_id']}>" for m in ctx.get("mentions", []) if m.get("slack_member_id")]
    if mentions:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "cc " + " ".join(mentions)}]})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": ctx["button"]}, "url": ctx["link"],
         "style": "primary", "action_id": "open_handoff"},
    ]})
    # `text` is the fallback shown in notifications and by clients that cannot render blocks.
    return {"text": _esc(f"{ctx['headline']}: {ctx['reason']}", SECTION_TEXT_LIMIT), "blocks": blocks}


def build_test(*, channel_name: str, requested_by: str) -> dict:
    """The Integrations page's "Send a test": a short message that says who sent it."""
    detail = f"{requested_by} checked the channel {channel_name}. No action needed."
    return {"text": _esc(f"ResolutionFlow test message: {detail}", SECTION_TEXT_LIMIT),
            "blocks": [{"type": "section",
                        "text": _mrkdwn("*ResolutionFlow test message*\n", detail, SECTION_TEXT_LIMIT)}]}


def send(delivery) -> http.HttpResult:
    channel = delivery.channel
    return http.post(channel.url, body=delivery.body.encode())

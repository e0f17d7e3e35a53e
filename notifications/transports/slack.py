"""Slack: incoming webhooks with a Block Kit message.

https://api.slack.com/messaging/webhooks — POST JSON to the webhook URL; 200 "ok" on success.
Errors are plain-text codes: 400 invalid_payload / no_text, 403 action_prohibited,
404 no_service / channel_not_found, 410 channel_is_archived (the channel is gone: we disable it),
429 rate_limited with Retry-After (about one message per second per webhook).
Block limits (https://api.slack.com/reference/block-kit/blocks): header text 150 characters,
section text 3000; mrkdwn needs &, < and > escaped (https://api.slack.com/reference/surfaces/formatting#escaping).
Mentions need the Slack member id (`<@U012AB3CD>`); users without one are named, not mentioned.
"""

from __future__ import annotations

from notifications.transports import http


def _esc(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build(ctx: dict) -> dict:
    """The Block Kit message for an escalation event (`ctx` from notifications.fanout)."""
    fields = [{"type": "mrkdwn", "text": f"*Requested by*\n{_esc(ctx['requested_by'])}"}]
    if ctx.get("claimed_by"):
        fields.append({"type": "mrkdwn", "text": f"*Picked up by*\n{_esc(ctx['claimed_by'])}"})
    else:
        fields.append({"type": "mrkdwn", "text": f"*For*\n{_esc(ctx.get('target') or 'Any engineer')}"})
    if ctx.get("client_name"):
        fields.append({"type": "mrkdwn", "text": f"*Client*\n{_esc(ctx['client_name'])}"})
    if ctx.get("ticket"):
        fields.append({"type": "mrkdwn", "text": f"*Ticket*\n{_esc(ctx['ticket'])}"})
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(ctx["headline"], 150), "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(f"*Reason:* {_esc(ctx['reason'])}", 3000)}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": _cut("*Problem*\n>" + _esc(ctx["problem_excerpt"]).replace("\n", "\n>"),
                                                  3000)}},
    ]
    mentions = [f"<@{m['slack_member_id']}>" for m in ctx.get("mentions", []) if m.get("slack_member_id")]
    if mentions:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "cc " + " ".join(mentions)}]})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": ctx["button"]}, "url": ctx["link"],
         "style": "primary", "action_id": "open_handoff"},
    ]})
    # `text` is the fallback shown in notifications and by clients that cannot render blocks.
    return {"text": _cut(_esc(f"{ctx['headline']}: {ctx['reason']}"), 3000), "blocks": blocks}


def send(delivery) -> http.HttpResult:
    channel = delivery.channel
    return http.post(channel.url, body=delivery.body.encode())

"""Text typed by users reaches Slack and Teams as text (issue #10, item 11): no pings, no links
under the workflow's trusted name, no entity cut in half; our own @mentions still work. Real HTTP
to loopback receivers, as in test_transports.py."""

import json

import pytest

from notifications.models import ChatIdentity
from notifications.transports import slack as slack_transport
from tests.helpers import add_step, escalate, make_session, run_fanouts
from tests.notifications.builders import run_due, slack, teams

HOSTILE = ("<!channel> <!here> <@U0BADBAD1> <#C0GENERAL> <https://evil.example/reset|Reset your password> "
           "[Reset your password](https://evil.example/reset) **urgent** & done")


def _escalate(capture, client, *, reason, **session):
    created = make_session(client, **session)
    add_step(client, created["id"])
    with capture(execute=True):
        response = escalate(client, created["id"], reason=reason)
    assert response.status_code == 201, response.content
    run_fanouts(capture)
    run_due()
    return response.json()


def _mrkdwn_texts(message) -> list[dict]:
    """Every mrkdwn text object of a Block Kit message."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message["blocks"])
    return found


def test_slack_shows_pings_and_links_from_users_literally(
        api, acme_tech, acme_senior, receiver, django_capture_on_commit_callbacks):
    slack(acme_tech.account, receiver.url())
    ChatIdentity.objects.create(account=acme_tech.account, user=acme_senior, slack_member_id="U012AB3CD")
    _escalate(django_capture_on_commit_callbacks, api(acme_tech), reason=HOSTILE, client_name="<!everyone> & co",
              problem="Printer <@U0BADBAD1> jams\nsee <https://evil.example|the fix>")

    message = receiver.requests[0].json()
    blocks = message["blocks"]
    assert blocks[1]["text"] == {
        "type": "mrkdwn", "verbatim": True,
        "text": "*Reason:* &lt;!channel&gt; &lt;!here&gt; &lt;@U0BADBAD1&gt; &lt;#C0GENERAL&gt; "
                "&lt;https://evil.example/reset|Reset your password&gt; "
                "[Reset your password](https://evil.example/reset) **urgent** &amp; done",
    }
    assert {"type": "mrkdwn", "text": "*Client*\n&lt;!everyone&gt; &amp; co", "verbatim": True} in blocks[2]["fields"]
    assert blocks[3]["text"]["text"] == ("*Problem*\n>Printer &lt;@U0BADBAD1&gt; jams\n"
                                         ">see &lt;https://evil.example|the fix&gt;")
    # Only the mention we add on purpose is live; every text object with user text is verbatim.
    assert blocks[4] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "cc <@U012AB3CD>"}]}
    for text in _mrkdwn_texts(message):
        if text["text"] != "cc <@U012AB3CD>":
            assert text["verbatim"] is True, text
    raw = json.dumps(message)
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U0BADBAD1>", "<#C0GENERAL>", "<https://evil"):
        assert ping not in raw
    assert message["text"].startswith("Escalation: Outlook keeps asking for password: &lt;!channel&gt;")


def test_slack_cuts_long_text_before_escaping_so_no_entity_is_split(
        api, acme_tech, acme_senior, receiver, django_capture_on_commit_callbacks):
    slack(acme_tech.account, receiver.url())
    _escalate(django_capture_on_commit_callbacks, api(acme_tech), reason="&" * 2000)

    message = receiver.requests[0].json()
    reason = message["blocks"][1]["text"]["text"]
    assert len(reason) <= 3000 and reason.endswith("&amp;…")
    assert reason == "*Reason:* " + "&amp;" * 597 + "…"  # 10 + 597 × 5 + 1 = 2996 characters
    assert len(message["text"]) <= 3000 and message["text"].endswith("&amp;…")


def test_slack_section_fields_fit_slacks_2000_characters():
    ctx = {"headline": "Escalation: x", "reason": "r", "requested_by": "<" * 1999, "target": None,
           "claimed_by": None, "client_name": "&" * 5000, "ticket": "T-1", "problem_excerpt": "p",
           "link": "https://rf.example.com/pilot/x", "button": "Open handoff", "mentions": []}
    fields = slack_transport.build(ctx)["blocks"][2]["fields"]
    requested, client = fields[0]["text"], fields[2]["text"]
    assert len(requested) <= 2000 and requested == "*Requested by*\n" + "&lt;" * 496 + "…"
    assert len(client) <= 2000 and client == "*Client*\n" + "&amp;" * 398 + "…"


@pytest.mark.parametrize("reason, shown", [
    ("[Reset your password](https://evil.example/reset)", r"\[Reset your password\]\(https://evil.example/reset\)"),
    ("**urgent** _now_ `rm -rf` ~~x~~", r"\*\*urgent\*\* \_now\_ \`rm -rf\` \~\~x\~\~"),
    ("- one\n2. two\n# heading", "\\- one\n2\\. two\n\\# heading"),
    ("<at>Sam Senior</at> back\\slash", r"\<at\>Sam Senior\</at\> back\\slash"),
])
def test_teams_shows_markdown_from_users_literally(
        api, acme_tech, acme_senior, receiver, django_capture_on_commit_callbacks, reason, shown):
    receiver.default.status = 202
    teams(acme_tech.account, receiver.url())
    _escalate(django_capture_on_commit_callbacks, api(acme_tech), reason=reason, client_name="[Acme](https://evil)",
              title="**Free** [gift](https://evil)", problem="_see_ [here](https://evil)")

    card = receiver.requests[0].json()["attachments"][0]["content"]
    assert card["body"][0]["text"] == r"Escalation: \*\*Free\*\* \[gift\]\(https://evil\)"
    assert card["body"][1]["text"] == f"**Reason:** {shown}"
    assert {"title": "Client", "value": r"\[Acme\]\(https://evil\)"} in card["body"][2]["facts"]
    assert card["body"][4]["text"] == r"\_see\_ \[here\]\(https://evil\)"
    # Our own labels stay bold, and the mention we add still matches its entity.
    assert card["body"][3]["text"] == "**Problem**"
    assert card["body"][-1]["text"] == "cc <at>Sam Senior</at>"
    assert card["msteams"]["entities"][0]["text"] == "<at>Sam Senior</at>"

"""Two people, one session, in real browsers (issue #12): the technician who escalated and the
engineer who claimed both keep working in the session and see each other's steps, messages, the
new owner and the copilot's answer without reloading."""

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import escalation, wait_live
from tests.escalations.loopback import LoopbackServer
from tests.helpers import LiveAsgiServer


def test_the_technician_and_the_engineer_work_in_one_session_live(browsers, api_http, acme_tech, acme_senior):
    session, handoff = escalation(api_http(acme_tech), title="Shared workspace check")
    tech = browsers.open(acme_tech, f"/pilot/{session['id']}")
    wait_live(tech)
    expect(tech.locator("[data-session-status]")).to_have_text("Escalated")

    # The claim happens elsewhere: the technician's page shows the new owner and status live.
    assert api_http(acme_senior).post(f"/handoffs/{handoff['id']}/claim").status_code == 200
    expect(tech.locator("[data-session-status]")).to_have_text("Active")
    expect(tech.locator("[data-session-owner]")).to_have_text("Sam Senior")

    senior = browsers.open(acme_senior, f"/pilot/{session['id']}")
    wait_live(senior)
    senior.get_by_role("textbox", name="Message").fill("Which PC is it exactly?")
    senior.get_by_role("button", name="Send", exact=True).click()
    chat = tech.locator("[data-chat]")
    expect(chat.locator(".chat-msg").last).to_contain_text("Which PC is it exactly?")
    expect(chat.locator(".chat-msg").last.locator(".chat-author")).to_have_text("Sam Senior")

    # The technician answers and logs a step: still allowed after the claim; the engineer sees both.
    tech.get_by_role("textbox", name="Message").fill("Reception, PC-04")
    tech.get_by_role("button", name="Send", exact=True).click()
    expect(senior.locator("[data-chat] .chat-msg").last).to_contain_text("Reception, PC-04")
    tech.get_by_label("What did you try?").fill("Rebooted PC-04")
    tech.get_by_role("button", name="Add step").click()
    expect(senior.locator("[data-steps] .timeline-item").last).to_contain_text("Rebooted PC-04")

    # Asking the copilot: its answer arrives in both pages; with no similar resolved session it
    # says so rather than inventing a fix.
    tech.get_by_role("textbox", name="Message").fill("What should I try next?")
    tech.get_by_role("button", name="Ask the copilot").click()
    for page in (tech, senior):
        answer = page.locator("[data-chat] .chat-assistant").last
        expect(answer.locator(".chat-author")).to_have_text("Copilot")
        expect(answer).to_contain_text(re.compile("No close match in your resolved sessions"))


def test_an_llm_copilot_answer_streams_into_the_page(browsers, api_http, acme_tech, transactional_db):
    """With an OpenAI-compatible server (on loopback) the first words are on the page before the
    server has sent the last ones."""
    words = ["Clear ", "the ", "spool ", "folder, ", "then ", "reinstall ", "the ", "model-specific ", "driver."]
    chunks = [{"choices": [{"index": 0, "delta": {"content": w}}]} for w in words]
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    llm = LoopbackServer(routes={("POST", "/v1/chat/completions")})
    # ~4 s for the whole answer: one byte every 5 ms.
    llm.answer(200, body, headers={"Content-Type": "text/event-stream"}, trickle=0.005)
    server = LiveAsgiServer(extra_env={"AI_PROVIDER": "openai", "AI_BASE_URL": f"{llm.url}/v1",
                                       "AI_MODEL": "gpt-test", "AI_API_KEY": "sk-test"})
    try:
        session = api_http(acme_tech, server).post("/sessions", json={"title": "Spooler", "problem": "Spooler stops"})
        page = browsers.open(acme_tech, f"/pilot/{session.json()['id']}", server=server)
        wait_live(page)
        page.get_by_role("textbox", name="Message").fill("What should I try next?")
        page.get_by_role("button", name="Ask the copilot").click()
        streaming = page.locator("[data-chat] .chat-streaming")
        expect(streaming).to_contain_text("Clear the", timeout=10_000)
        assert "driver." not in streaming.text_content()  # the last words are still on their way
        final = page.locator("[data-chat] .chat-assistant").last
        expect(final).to_contain_text("".join(words), timeout=15_000)
        expect(page.locator("[data-chat] .chat-streaming")).to_have_count(0)
        expect(page.get_by_role("textbox", name="Message")).to_have_value("")
        sent = llm.last.json()
        assert sent["stream"] is True and "What should I try next?" in sent["messages"][1]["content"]
    finally:
        server.stop()
        llm.stop()

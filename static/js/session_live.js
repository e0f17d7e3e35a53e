// The session page, live: the owner and the collaborator who asked for help see each other's
// steps and messages, the status and the owner, and the copilot's answer as it streams in,
// without reloading. Frames of /ws/escalations/ after `session.join` (authorised on the server
// like the page itself); after a reconnect the page refetches the session, so nothing sent
// while the socket was down is missed. Everything untrusted goes in as text (dom.el).
import { realtime } from "./realtime.js";
import { csrfToken, el } from "./dom.js";
import { formatLocalTime } from "./local_time.js";

const STATUS_LABELS = {
  active: "Active",
  requesting_escalation: "Requesting escalation",
  escalated: "Escalated",
  resolved: "Resolved",
};
const OUTCOME_LABELS = { worked: "Worked", did_not_work: "Did not work", inconclusive: "Inconclusive" };

const page = document.querySelector("[data-pilot]");

function byId(list, id) {
  return [...list.children].find((li) => li.dataset.id === id) || null;
}

function dropEmpty(list) {
  for (const empty of list.querySelectorAll(":scope > .empty")) empty.remove();
}

function timeEl(iso, options) {
  return el("time", { datetime: iso }, formatLocalTime(iso, options));
}

function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

if (page) {
  const sessionId = page.dataset.sessionId;
  const steps = document.querySelector("[data-steps]");
  const chat = document.querySelector("[data-chat]");
  const statusBadge = document.querySelector("[data-session-status]");
  const ownerName = document.querySelector("[data-session-owner]");

  function addStep(step) {
    if (!steps || byId(steps, step.id)) return;
    dropEmpty(steps);
    const author = (step.author && (step.author.name || step.author.email)) || "";
    steps.append(el("li", { class: `timeline-item outcome-${step.outcome}`, "data-id": step.id },
      el("div", { class: "timeline-head" },
        el("span", { class: "timeline-action" }, step.action), " ",
        el("span", { class: `badge badge-${step.outcome}` }, OUTCOME_LABELS[step.outcome] || step.outcome)),
      step.result ? el("p", { class: "prewrap timeline-result" }, step.result) : "",
      el("p", { class: "muted small" }, author, " · ",
        timeEl(step.created_at, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }))));
  }

  function addMessage(message) {
    if (!chat) return;
    const streaming = byId(chat, message.id);
    if (streaming && !streaming.hasAttribute("aria-busy")) return; // already shown
    const stick = nearBottom(chat);
    dropEmpty(chat);
    const author = message.author_name || (message.author && message.author.name) || "";
    const item = el("li", { class: `chat-msg chat-${message.role}`, "data-id": message.id },
      el("span", { class: "chat-author" }, author),
      el("p", { class: "prewrap" }, message.body),
      timeEl(message.created_at, { hour: "2-digit", minute: "2-digit" }));
    item.querySelector("time").className = "muted small";
    if (streaming) streaming.replaceWith(item);
    else chat.append(item);
    if (stick) chat.scrollTop = chat.scrollHeight;
  }

  function copilotDelta(frame) {
    if (!chat) return;
    let bubble = byId(chat, frame.reply_id);
    if (bubble && !bubble.hasAttribute("aria-busy")) return; // the final message is here already
    const stick = nearBottom(chat);
    if (!bubble) {
      dropEmpty(chat);
      bubble = el("li", { class: "chat-msg chat-assistant chat-streaming", "data-id": frame.reply_id, "aria-busy": "true" },
        el("span", { class: "chat-author" }, "Copilot"), el("p", { class: "prewrap" }));
      chat.append(bubble);
    }
    bubble.querySelector("p").textContent = frame.text;
    if (stick) chat.scrollTop = chat.scrollHeight;
  }

  function showState(status, owner) {
    if (statusBadge && status) {
      statusBadge.className = `badge badge-${status}`;
      statusBadge.textContent = STATUS_LABELS[status] || status;
    }
    if (ownerName && owner) ownerName.textContent = owner.name || owner.email || "";
    if (status === "resolved") {
      // Nothing more can be written: the forms go, as they would on a reload.
      for (const form of page.querySelectorAll(".step-form, form[aria-label='Send a message']")) {
        form.replaceWith(el("p", { class: "muted small read-only-note" }, "This session is resolved."));
      }
    }
  }

  const mine = (frame) => frame.session_id === sessionId;
  realtime.on("session.step", (frame) => mine(frame) && addStep(frame.step));
  realtime.on("session.message", (frame) => mine(frame) && addMessage(frame.message));
  realtime.on("copilot.delta", (frame) => mine(frame) && copilotDelta(frame));
  realtime.on("session.updated", (frame) => mine(frame) && showState(frame.status, frame.owner));

  async function refetch() {
    try {
      const answer = await fetch(`/api/v1/sessions/${sessionId}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!answer.ok) return;
      const session = await answer.json();
      for (const step of session.steps || []) addStep(step);
      for (const message of session.messages || []) {
        addMessage({ ...message, author_name: message.role === "assistant" ? "Copilot"
          : (message.author && message.author.name) || "System" });
      }
      showState(session.status, session.owner);
    } catch (err) {
      console.error("refetching the session failed", err);
    }
  }

  // "Ask the copilot" posts without leaving the page, so its answer can stream into it (the plain
  // form post still works without JavaScript). The question and the answer arrive as frames; the
  // question is also added from the response, in case the socket is down.
  const messageForm = document.querySelector("form[aria-label='Send a message']");
  const askButton = messageForm && messageForm.querySelector("button[name=to_copilot]");
  if (askButton) {
    const box = messageForm.querySelector("textarea[name=body]");
    const problem = el("p", { class: "field-error", role: "alert", hidden: true });
    messageForm.append(problem);
    askButton.addEventListener("click", async (event) => {
      if (!box.value.trim()) return; // let the browser say the field is required
      event.preventDefault();
      askButton.disabled = true;
      problem.hidden = true;
      try {
        const answer = await fetch(`/api/v1/sessions/${sessionId}/messages`, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ body: box.value, to_copilot: true }),
        });
        const data = await answer.json().catch(() => ({}));
        if (!answer.ok) {
          const detail = data.detail || Object.values(data).flat().join(" ") || `Error ${answer.status}`;
          problem.textContent = `The message was not sent: ${detail}`;
          problem.hidden = false;
          return;
        }
        box.value = "";
        addMessage({ ...data, author_name: (data.author && data.author.name) || "" });
      } catch (err) {
        problem.textContent = "The message was not sent: the server could not be reached.";
        problem.hidden = false;
      } finally {
        askButton.disabled = false;
      }
    });
  }

  // Joined (again, after a reconnect): catch up on whatever arrived since the page was rendered.
  realtime.on("session.joined", (frame) => mine(frame) && refetch());
  realtime.stick(`session:${sessionId}`, { type: "session.join", session_id: sessionId });
}

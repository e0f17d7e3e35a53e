// The session page: Escalate / Hand off / Resolve dialogs, suggested-step chips, the Context
// button (the handoff screen) and presence while an engineer reads an escalated session.
import { realtime } from "./realtime.js";
import { openContext } from "./context.js";
import { el } from "./dom.js";
import * as presence from "./presence.js";

const page = document.querySelector("[data-pilot]");

if (page) {
  // Form dialogs: focus the first field, Esc closes (native), focus returns to the opener.
  for (const button of document.querySelectorAll("[data-open-dialog]")) {
    const dialog = document.getElementById(button.dataset.openDialog);
    if (!dialog) continue;
    button.addEventListener("click", () => {
      dialog.showModal();
      const field = dialog.querySelector("textarea, input:not([type=hidden]), select");
      if (field) field.focus();
    });
    dialog.addEventListener("close", () => button.focus());
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog || event.target.closest("[data-close]")) dialog.close();
    });
  }

  // One submit per form: a double click must not post twice.
  for (const form of document.querySelectorAll("form[method=post]")) {
    form.addEventListener("submit", () => {
      for (const b of form.querySelectorAll("button[type=submit]")) {
        setTimeout(() => {
          b.disabled = true;
        }, 0);
      }
    });
  }

  // Suggested next steps: a chip prefills "Log a step" (what did you try?), since a suggestion is
  // something to try and then log; its "To chat" button puts it in the message box instead.
  const prefill = (field, value) => {
    if (!field) return;
    field.value = value;
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  };
  const action = document.getElementById("step-action");
  const box = document.querySelector("[data-message-box]");
  for (const pair of document.querySelectorAll(".chip-pair")) {
    const chip = pair.querySelector("[data-chip]");
    const send = pair.querySelector("[data-chip-send]");
    if (!chip) continue;
    chip.addEventListener("click", () => prefill(action, chip.textContent.trim()));
    if (send) send.addEventListener("click", () => prefill(box, chip.textContent.trim()));
  }

  for (const button of document.querySelectorAll("[data-open-context]")) {
    button.addEventListener("click", () => openContext(button.dataset.openContext, button));
  }

  // From a notification (?pickup=true): open the handoff screen right away, once.
  if (page.hasAttribute("data-autopen-context") && page.dataset.handoffId) {
    const url = new URL(location.href);
    url.searchParams.delete("pickup");
    history.replaceState(null, "", url);
    const opener = document.querySelector(".toolbar [data-open-context]");
    openContext(page.dataset.handoffId, opener);
  }

  // An engineer reading an escalated session counts as viewing its handoff.
  const watched = page.dataset.watchHandoff;
  if (watched) {
    const target = page.querySelector(".banner [data-presence]");
    presence.join(watched);
    presence.onChange((id, viewers) => {
      if (id === watched) presence.render(target, viewers);
    });
  }

  // The waiting banner follows the escalation live: the requester learns who picked it up, an
  // engineer reading it read-only learns that someone else has it.
  const waiting = document.querySelector("[data-waiting-banner]");
  const settle = (...content) => {
    if (!waiting) return;
    waiting.className = "banner banner-info";
    waiting.replaceChildren(el("p", {}, ...content));
  };
  realtime.on("notification.created", (frame) => {
    const n = frame.notification || {};
    if (n.kind !== "claimed" || !n.link) return;
    if (new URL(n.link, location.href).pathname !== location.pathname) return;
    settle(el("strong", {}, n.title));
  });
  realtime.on("handoff.claimed", (frame) => {
    const h = frame.handoff || {};
    const by = h.claimed_by || {};
    if (!watched || h.id !== watched || by.id === document.body.dataset.userId) return;
    settle(el("strong", {}, by.name || by.email), " picked this up. You can keep reading; it is theirs now.");
  });

  const chat = document.querySelector("[data-chat]");
  if (chat) chat.scrollTop = chat.scrollHeight;
}

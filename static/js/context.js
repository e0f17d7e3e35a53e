// The handoff context screen: a modal dialog with the problem, what's been tried, the AI
// assessment and suggested next steps, and "Start here" (claim). Content is the server-rendered
// fragment /escalations/<id>/context. Focus goes to the heading on open, stays inside while
// open, Esc closes, and focus returns to whatever opened it.
import { realtime } from "./realtime.js";
import { el, fetchFragment, postJson } from "./dom.js";
import * as presence from "./presence.js";

const dialog = document.querySelector("[data-context-dialog]");
const body = dialog && dialog.querySelector("[data-context-body]");
const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";
let opener = null;
let current = null;
let loadSeq = 0;

const urlFor = (id) => dialog.dataset.contextUrl.replace(PLACEHOLDER_ID, encodeURIComponent(id));

// Every stop of the dialog's tab order, in document order: links, buttons, fields, and any box
// that scrolls (Chromium makes a scrolling box a tab stop of its own: the context body with a long
// timeline, the conversation). Leaving one out made Tab jump back to the first item from it, so
// "Start here", after the body, was never reached.
const TABBABLE = "a[href], button:not([disabled]), textarea, input, select, summary, [tabindex]:not([tabindex='-1'])";

function scrolls(node) {
  if (node.scrollHeight <= node.clientHeight + 1 && node.scrollWidth <= node.clientWidth + 1) return false;
  const style = getComputedStyle(node);
  return /(auto|scroll)/.test(style.overflowY + " " + style.overflowX);
}

function focusables() {
  const items = [...dialog.querySelectorAll("*")].filter(
    (node) => (node.matches(TABBABLE) || (node.getAttribute("tabindex") !== "-1" && scrolls(node)))
      && !node.closest("[hidden]") && node.getClientRects().length,
  );
  // A scrolling box is focusable by itself in Chromium and Firefox, not in Safari: say so.
  for (const node of items) if (!node.hasAttribute("tabindex") && !node.matches(TABBABLE)) node.setAttribute("tabindex", "0");
  return items;
}

// The next (or previous) stop from wherever focus is: an item of the list, or something the list
// does not hold (the heading, focused by script on open; the claim status after a lost race).
function nextStop(items, active, backwards) {
  const n = items.length;
  const i = items.indexOf(active);
  if (i !== -1) return items[(i + (backwards ? n - 1 : 1)) % n];
  if (!dialog.contains(active) || active === dialog) return backwards ? items[n - 1] : items[0];
  const FOLLOWING = Node.DOCUMENT_POSITION_FOLLOWING;
  if (!backwards) return items.find((node) => active.compareDocumentPosition(node) & FOLLOWING) || items[0];
  const before = items.filter((node) => !(active.compareDocumentPosition(node) & FOLLOWING) && !node.contains(active));
  return before[before.length - 1] || items[n - 1];
}

function focusHeading() {
  const heading = dialog.querySelector("#context-title");
  if (heading) heading.focus();
}

function showPlaceholder(title, message) {
  const head = el("header", { class: "ctx-head" },
    el("div", { class: "ctx-head-text" },
      el("h2", { id: "context-title", tabindex: "-1" }, title),
      message && el("p", { class: "muted" }, message)),
    el("button", { type: "button", class: "icon-btn ctx-close", "data-close": true, "aria-label": "Close" }, "×"));
  const skeleton = !message && el("div", { class: "ctx-body" },
    el("div", { class: "skeleton" }), el("div", { class: "skeleton" }), el("div", { class: "skeleton short" }));
  body.replaceChildren(el("div", { class: "ctx-inner" }, head, skeleton));
}

function root() {
  return body.querySelector("[data-context-handoff]");
}

function hideSessionLinkIfHere() {
  const link = body.querySelector("[data-open-session]");
  if (link && new URL(link.href, location.href).pathname === location.pathname) link.hidden = true;
}

async function load(id, { keepFocus = false } = {}) {
  const seq = ++loadSeq;
  let fragment;
  try {
    fragment = await fetchFragment(urlFor(id));
  } catch {
    fragment = undefined;
  }
  if (seq !== loadSeq || current !== id) return;
  if (!fragment) {
    showPlaceholder(
      fragment === null ? "This handoff is not available" : "Couldn't load this handoff",
      fragment === null ? "It may belong to another team, or it was removed." : "Check your connection and try again.",
    );
  } else {
    body.replaceChildren(fragment);
    hideSessionLinkIfHere();
    presence.render(body.querySelector("[data-presence]"), presence.viewersOf(id));
  }
  if (!keepFocus) focusHeading();
}

export async function openContext(id, from) {
  if (!dialog || !id) return;
  opener = from || document.activeElement;
  if (current && current !== id) presence.leave(current);
  const joining = current !== id;
  current = id;
  showPlaceholder("Loading handoff…");
  if (!dialog.open) dialog.showModal();
  focusHeading();
  if (joining) presence.join(id);
  await load(id);
}

export function closeContext() {
  if (dialog && dialog.open) dialog.close();
}

function showTaken(name) {
  const r = root();
  if (!r) return;
  const status = r.querySelector("[data-claim-status]");
  const start = r.querySelector("[data-claim]");
  const hadFocus = start && start === document.activeElement;
  if (start) start.remove();
  status.replaceChildren(el("strong", {}, name), " already has this one and is on it. Nothing for you to do here.");
  status.tabIndex = -1;
  if (hadFocus) status.focus();
}

async function claim(button) {
  const r = root();
  if (!r || button.disabled) return;
  const status = r.querySelector("[data-claim-status]");
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = "Claiming…";
  status.textContent = "";
  let result;
  try {
    result = await postJson(r.dataset.claimUrl);
  } catch {
    result = { ok: false, status: 0, data: {} };
  }
  if (result.ok) {
    status.textContent = "It's yours. Opening the session…";
    location.assign(r.dataset.sessionUrl);
    return;
  }
  button.removeAttribute("aria-busy");
  if (result.status === 409) {
    if (result.data.claimed_by) {
      button.focus();
      showTaken(result.data.claimed_by.name || result.data.claimed_by.email || "Another engineer");
    } else {
      button.remove();
      status.textContent = result.data.detail || "This handoff can no longer be claimed.";
      status.tabIndex = -1;
      status.focus();
    }
    return;
  }
  button.disabled = false;
  button.textContent = label;
  status.textContent =
    result.status === 403
      ? "Only engineers and admins can claim an escalation."
      : "Couldn't claim it just now. Check your connection and try again.";
}

if (dialog) {
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) return dialog.close(); // the backdrop
    if (event.target.closest("[data-close]")) return dialog.close();
    const start = event.target.closest("[data-claim]");
    if (start) claim(start);
  });

  // Keep focus inside while open: Tab and Shift+Tab step through `focusables()` and wrap (the
  // heading is reachable by script only).
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.altKey || event.ctrlKey || event.metaKey) return;
    const items = focusables();
    if (!items.length) return;
    event.preventDefault();
    nextStop(items, document.activeElement, event.shiftKey).focus();
  });

  dialog.addEventListener("close", () => {
    // "close" is dispatched in a later task: if the screen was opened again meanwhile, that
    // opening owns the state (and already let go of any other handoff).
    if (dialog.open) return;
    if (current) presence.leave(current);
    current = null;
    loadSeq += 1;
    const back = opener && opener.isConnected ? opener : document.querySelector("main h1") || document.querySelector("main");
    opener = null;
    if (back) {
      if (!back.hasAttribute("tabindex") && back.matches("h1, main")) back.tabIndex = -1;
      back.focus();
    }
  });

  realtime.on("handoff.claimed", (frame) => {
    const h = frame.handoff || {};
    if (h.id !== current || !h.claimed_by) return;
    if (h.claimed_by.id === document.body.dataset.userId) return;
    showTaken(h.claimed_by.name || h.claimed_by.email);
  });

  realtime.on("handoff.updated", (frame) => {
    const h = frame.handoff || {};
    if (h.id !== current) return;
    refreshSections(h.id, h.state === "cancelled");
  });

  realtime.onOpen(({ reconnected }) => {
    if (reconnected && current) refreshSections(current, false);
  });

  presence.onChange((id, list) => {
    if (id === current) presence.render(body.querySelector("[data-presence]"), list);
  });
}

// The assessment arrived (or the handoff was cancelled): refresh sections in place, keeping focus.
async function refreshSections(id, cancelled) {
  let fragment;
  try {
    fragment = await fetchFragment(urlFor(id));
  } catch {
    return;
  }
  if (!fragment || id !== current) return;
  for (const selector of ["[data-context-assessment]", "[data-context-next]"]) {
    const fresh = fragment.querySelector(selector);
    const old = body.querySelector(selector);
    if (fresh && old && !old.contains(document.activeElement)) old.replaceWith(fresh);
  }
  if (cancelled) {
    const r = root();
    const start = r && r.querySelector("[data-claim]");
    if (start) start.remove();
    const status = r && r.querySelector("[data-claim-status]");
    if (status) status.textContent = "The technician resolved this session before anyone picked it up.";
  }
}

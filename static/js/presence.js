// Who else is viewing a handoff (its context screen or its session page), over the shared socket.
import { realtime } from "./realtime.js";
import { el, svg } from "./dom.js";

const viewers = new Map(); // handoff id -> [{id, name}]
const subscribers = new Set();
const joins = new Map(); // handoff id -> how many parts of this page view it

realtime.on("presence", (frame) => {
  viewers.set(frame.handoff_id, Array.isArray(frame.viewers) ? frame.viewers : []);
  for (const fn of subscribers) fn(frame.handoff_id, viewers.get(frame.handoff_id));
});

realtime.onOpen(() => {
  if (document.body.dataset.staff === "1") realtime.send({ type: "presence.sync" });
});

export function join(handoffId) {
  if (document.body.dataset.staff !== "1" || !handoffId) return;
  const n = (joins.get(handoffId) || 0) + 1;
  joins.set(handoffId, n);
  if (n === 1) realtime.stick(`presence:${handoffId}`, { type: "presence.join", handoff_id: handoffId });
}

export function leave(handoffId) {
  const n = (joins.get(handoffId) || 0) - 1;
  if (n > 0) {
    joins.set(handoffId, n);
    return;
  }
  if (!joins.has(handoffId)) return;
  joins.delete(handoffId);
  realtime.unstick(`presence:${handoffId}`, { type: "presence.leave", handoff_id: handoffId });
}

export function viewersOf(handoffId) {
  return viewers.get(handoffId) || [];
}

export function onChange(fn) {
  subscribers.add(fn);
}

/** Fill a [data-presence] element with the other viewers (never yourself). */
export function render(element, list) {
  if (!element) return;
  const me = document.body.dataset.userId;
  const others = (list || []).filter((v) => v.id !== me);
  if (!others.length) {
    element.hidden = true;
    element.textContent = "";
    return;
  }
  const names = others.map((v) => String(v.name ?? ""));
  const who = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  const eye = svg("svg", { "aria-hidden": "true", viewBox: "0 0 24 24", width: "15", height: "15", fill: "none",
    stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round" },
  svg("path", { d: "M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z" }),
  svg("circle", { cx: "12", cy: "12", r: "3" }));
  element.replaceChildren(eye, el("span", {}, `${who} ${others.length === 1 ? "is" : "are"} viewing`));
  element.hidden = false;
}

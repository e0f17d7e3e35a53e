// Small DOM helpers shared by the page modules.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) return meta.content;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

// --- Putting text into the page ---------------------------------------------------------------
// Data (titles, reasons, names, anything from the API or a websocket frame) goes into the page as
// text nodes and attribute values through these builders, never through HTML strings: no
// innerHTML / insertAdjacentHTML / outerHTML with data. Markup comes from the server's autoescaped
// templates (fetchFragment) or is built here element by element.

const SVG_NS = "http://www.w3.org/2000/svg";
const URL_ATTRS = new Set(["href", "src", "action", "formaction", "xlink:href"]);

/** A link target from data: http(s) or a relative URL as given; anything else (javascript:, data:) is "#". */
export function safeUrl(url) {
  const text = url == null ? "" : String(url);
  try {
    const { protocol } = new URL(text, location.href);
    return protocol === "http:" || protocol === "https:" ? text : "#";
  } catch {
    return "#";
  }
}

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    // Behaviour and styling belong in the static files (the Content-Security-Policy blocks both).
    if (/^on/i.test(name) || name.toLowerCase() === "style") throw new Error(`el(): attribute "${name}" is not allowed`);
    const text = value === true ? "" : String(value);
    node.setAttribute(name, URL_ATTRS.has(name.toLowerCase()) ? safeUrl(text) : text);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * An element: `el("li", {class: "note"}, "some ", el("strong", {}, name))`. Attributes are set with
 * setAttribute (`true` → present and empty; null/undefined/false → left out); strings among the
 * children become text nodes, so nothing in them is ever parsed as HTML.
 */
export function el(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG (icons): `svg("svg", {viewBox: "0 0 24 24"}, svg("path", {d: "..."}))`. */
export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/**
 * GET a server-rendered fragment (a same-origin Django template, autoescaped). Resolves to a
 * DocumentFragment, or null on 404 (gone). The only place markup is parsed: it is the server's.
 */
export async function fetchFragment(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  return template.content;
}

export async function postJson(url) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  return { ok: response.ok, status: response.status, data };
}

/** "just now", "4 min ago", "1 h 5 min ago", "3 days ago" (the server renders the same first). */
export function ageText(seconds) {
  if (seconds < 45) return "just now";
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `${minutes} min ago`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h < 24) return m ? `${h} h ${m} min ago` : `${h} h ago`;
  const days = Math.floor(h / 24);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

/** Tell screen readers through a polite live region (cleared first so repeats are spoken). */
export function announce(region, text) {
  if (!region) return;
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 60);
}

// --- The tab title flashes while the tab is in the background ---------------------------------
const baseTitle = document.title;
let flashTimer = null;
let unseen = 0;

export function flashTitle(message) {
  if (!document.hidden) return;
  unseen += 1;
  const flashed = () => `(${unseen}) ${message}`;
  document.title = flashed();
  if (flashTimer) return;
  let on = true;
  flashTimer = setInterval(() => {
    on = !on;
    document.title = on ? flashed() : baseTitle;
  }, 1000);
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && flashTimer) {
    clearInterval(flashTimer);
    flashTimer = null;
    unseen = 0;
    document.title = baseTitle;
  }
});

// --- Toasts ---------------------------------------------------------------------------------------
export function toast({ title, link }) {
  const region = document.querySelector("[data-toasts]");
  if (!region) return;
  const close = el("button", { type: "button", class: "icon-btn toast-close", "aria-label": "Dismiss" }, "×");
  const item = el("div", { class: "toast" }, link ? el("a", { href: link }, title) : el("span", {}, title), close);
  close.addEventListener("click", () => item.remove());
  region.append(item);
  setTimeout(() => item.remove(), 9000);
}

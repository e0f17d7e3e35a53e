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

export function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text == null ? "" : String(text);
  return div.innerHTML;
}

/** GET a server-rendered fragment. Resolves to a DocumentFragment, or null on 404 (gone). */
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
  const item = document.createElement("div");
  item.className = "toast";
  const text = link ? document.createElement("a") : document.createElement("span");
  text.textContent = title;
  if (link) text.href = link;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "icon-btn toast-close";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  close.addEventListener("click", () => item.remove());
  item.append(text, close);
  region.append(item);
  setTimeout(() => item.remove(), 9000);
}

// The bell: unread count on every page, a dropdown of recent notifications, live increments
// (`notification.created`), mark one / all as read. Links open the pickup flow.
import { realtime } from "./realtime.js";
import { ageText, el, postJson, svg, toast } from "./dom.js";

const root = document.querySelector("[data-bell]");
const SHOWN = 15;

if (root) {
  const button = root.querySelector("[data-bell-button]");
  const panel = root.querySelector("[data-bell-panel]");
  const list = root.querySelector("[data-bell-list]");
  const countBadge = root.querySelector("[data-bell-count]");
  const countText = root.querySelector("[data-bell-count-text]");
  const readAll = root.querySelector("[data-bell-read-all]");
  let unread = Number(countBadge.dataset.count) || 0;
  let items = null; // null until first loaded

  const setCount = (n) => {
    unread = Math.max(0, n);
    countBadge.dataset.count = String(unread);
    countBadge.textContent = unread > 99 ? "99+" : String(unread);
    countText.textContent = `${unread} unread`;
    readAll.disabled = unread === 0;
  };
  setCount(unread);

  const showEmpty = (text) => list.replaceChildren(el("li", { class: "bell-empty" }, text));

  const checkIcon = () =>
    svg("svg", { "aria-hidden": "true", viewBox: "0 0 24 24", width: "16", height: "16", fill: "none",
      stroke: "currentColor", "stroke-width": "2.2", "stroke-linecap": "round", "stroke-linejoin": "round" },
    svg("path", { d: "M20 6 9 17l-5-5" }));

  // One notification, built from text: its title and body are whatever a session was called.
  const noteItem = (n) => {
    const age = ageText((Date.now() - Date.parse(n.created_at)) / 1000);
    const unread = !n.read_at;
    const title = n.title == null ? "" : String(n.title);
    return el("li", { class: unread ? "note is-unread" : "note" },
      unread && el("span", { class: "note-dot", "aria-hidden": "true" }),
      el("a", { class: "note-link", href: n.link || "#", "data-note": n.id },
        unread && el("span", { class: "sr-only" }, "Unread: "),
        el("span", { class: "note-title" }, title),
        el("span", { class: "note-meta" }, n.body ? `${n.body} · ${age}` : age)),
      unread && el("button", { type: "button", class: "icon-btn note-read", "data-read": n.id,
        "aria-label": `Mark as read: ${title}` }, checkIcon()));
  };

  const render = () => {
    if (!items) return showEmpty("Loading…");
    if (!items.length) return showEmpty("Nothing yet. Escalations and pickups show up here.");
    list.replaceChildren(...items.slice(0, SHOWN).map(noteItem));
  };

  const load = async () => {
    try {
      const response = await fetch("/api/v1/notifications", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      items = data.results || [];
    } catch {
      items = items || [];
      showEmpty("Couldn't load notifications. Try again in a moment.");
      return;
    }
    render();
  };

  const refreshCount = async () => {
    try {
      const response = await fetch("/api/v1/notifications?unread=true", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) setCount((await response.json()).count || 0);
    } catch {
      /* the next reconnect tries again */
    }
  };

  const open = () => {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    render();
    load();
  };
  const close = (focusButton) => {
    if (panel.hidden) return;
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (focusButton) button.focus();
  };

  button.addEventListener("click", () => (panel.hidden ? open() : close(false)));
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      event.stopPropagation();
      close(true);
    }
  });
  document.addEventListener("click", (event) => {
    if (!root.contains(event.target)) close(false);
  });
  root.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !root.contains(event.relatedTarget)) close(false);
  });

  const markRead = async (id) => {
    const note = items && items.find((n) => n.id === id);
    if (note && !note.read_at) {
      note.read_at = new Date().toISOString();
      setCount(unread - 1);
    }
    const result = await postJson(`/api/v1/notifications/${encodeURIComponent(id)}/read`);
    if (!result.ok) refreshCount();
  };

  list.addEventListener("click", (event) => {
    const readButton = event.target.closest("[data-read]");
    if (readButton) {
      const next = readButton.closest("li").nextElementSibling;
      markRead(readButton.dataset.read).then(() => {
        render();
        const target = next && next.querySelector("a");
        (target || button).focus();
      });
      return;
    }
    const link = event.target.closest("a[data-note]");
    if (link) {
      const note = items && items.find((n) => n.id === link.dataset.note);
      if (note && !note.read_at) {
        // keepalive: the request outlives the navigation the link starts.
        const marked = fetch(`/api/v1/notifications/${encodeURIComponent(note.id)}/read`, {
          method: "POST",
          credentials: "same-origin",
          keepalive: true,
          headers: { "X-CSRFToken": document.querySelector('meta[name="csrf-token"]')?.content || "" },
        }).catch(() => {});
        // A plain click waits (briefly) for the read to be recorded before the next page renders
        // the unread count, which would otherwise race it and still count this one. A click that
        // opens another tab or window goes at once.
        const plain = event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
        if (plain) {
          event.preventDefault();
          const go = () => location.assign(link.href);
          Promise.race([marked, new Promise((resolve) => setTimeout(resolve, 1500))]).then(go, go);
        }
      }
    }
  });

  readAll.addEventListener("click", async () => {
    const result = await postJson("/api/v1/notifications/read-all");
    if (result.ok) {
      for (const n of items || []) n.read_at = n.read_at || new Date().toISOString();
      setCount(0);
      render();
    }
  });

  realtime.on("notification.created", (frame) => {
    const n = frame.notification || {};
    setCount(unread + 1);
    if (items) {
      items.unshift({ ...n, body: "", read_at: null });
      if (!panel.hidden) render();
    }
    // On the queue page the card itself is the news; elsewhere a toast says it.
    const queueShowsIt = document.querySelector("[data-queue]") && (n.kind === "escalation" || n.kind === "handoff");
    if (!queueShowsIt) toast({ title: n.title, link: n.link });
  });

  // The server marked bells read (an escalation was claimed or cancelled: no longer news). The
  // frame names every recipient's notification; this user's, if any, leaves the unread count.
  realtime.on("notifications.read", (frame) => {
    const id = (frame.notifications || {})[document.body.dataset.userId];
    if (!id) return;
    const note = items && items.find((n) => n.id === id);
    if (note && note.read_at) return; // already read here (and counted down)
    if (note) note.read_at = frame.read_at || new Date().toISOString();
    setCount(unread - 1);
    if (note && !panel.hidden) render();
  });

  realtime.onOpen(({ reconnected }) => {
    if (!reconnected) return;
    refreshCount();
    if (!panel.hidden) load();
    else items = null;
  });
}

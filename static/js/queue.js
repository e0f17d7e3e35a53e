// The escalation queue: cards arrive, update and leave live over the shared socket.
import { realtime } from "./realtime.js";
import { openContext } from "./context.js";
import * as presence from "./presence.js";
import { ageText, announce, fetchFragment, flashTitle, prefersReducedMotion } from "./dom.js";
import { queueView } from "./queue_view.js";

const queue = document.querySelector("[data-queue]");

if (queue) {
  const list = queue.querySelector("[data-cards]");
  const count = queue.querySelector("[data-queue-count]");
  const empty = queue.querySelector("[data-empty]");
  const noMatch = queue.querySelector("[data-no-match]");
  const shownText = queue.querySelector("[data-queue-shown]");
  const tools = queue.querySelector("[data-queue-tools]");
  let view = null; // queueView, below
  const announcer = document.querySelector("[data-announcer]");
  const renotifyMinutes = Number(queue.dataset.renotifyMinutes) || 10;
  const me = document.body.dataset.userId;
  const LEAVE_MS = 2200;

  // Handoffs that left the queue (claimed, cancelled) never come back: a refetch answered
  // before the frame that removed them must not resurrect them.
  const departed = new Set();
  const cards = () => [...list.querySelectorAll(".hcard")];
  const cardFor = (id) => cards().find((c) => c.dataset.handoffId === id) || null;
  const describe = (card) => {
    const who = card.querySelector(".hcard-requester strong")?.textContent || "a technician";
    const title = card.querySelector(".hcard-title")?.textContent || "a session";
    return { who, title };
  };

  function refreshCount() {
    const waiting = cards().filter((c) => !c.classList.contains("is-leaving"));
    const n = waiting.length;
    const shown = waiting.filter((c) => !c.hidden).length;
    count.textContent = String(n);
    empty.hidden = n > 0;
    const filtered = Boolean(view && view.filtering());
    shownText.hidden = !filtered;
    shownText.textContent = filtered ? `${shown} shown` : "";
    noMatch.hidden = !(n > 0 && shown === 0);
    noMatch.querySelector("[data-no-match-count]").textContent =
      n === 1 ? "One escalation is waiting." : `${n} escalations are waiting.`;
  }

  // Cards or compact list, the sort and the filter (the user's own choices): queue_view.js.
  view = queueView({ controls: tools, list, me, onChange: () => refreshCount() });
  tools.hidden = false;
  refreshCount();

  function tick() {
    const now = Date.now();
    for (const card of cards()) {
      const seconds = Math.max(0, (now - Date.parse(card.dataset.createdAt)) / 1000);
      const age = card.querySelector("[data-age]");
      if (age) age.textContent = ageText(seconds);
      const minutes = Math.floor(seconds / 60);
      const waiting = card.querySelector("[data-waiting]");
      if (waiting) {
        const over = minutes >= renotifyMinutes;
        waiting.hidden = !over;
        card.classList.toggle("is-waiting", over);
        if (over) waiting.querySelector("[data-waiting-minutes]").textContent = String(minutes);
      }
    }
  }

  function arrive(card) {
    card.dataset.addedAt = String(performance.now());
    if (!prefersReducedMotion()) {
      card.classList.add("is-arriving");
      setTimeout(() => card.classList.remove("is-arriving"), 2500);
    }
    presence.render(card.querySelector("[data-presence]"), presence.viewersOf(card.dataset.handoffId));
  }

  async function addCard(id) {
    if (cardFor(id)) return;
    let fragment;
    try {
      fragment = await fetchFragment(`/escalations/${encodeURIComponent(id)}/card`);
    } catch {
      setTimeout(refetch, 2000); // a hiccup: the full list brings it
      return;
    }
    const card = fragment && fragment.querySelector(".hcard");
    if (!card || cardFor(id) || departed.has(id)) return;
    const shown = view.place(card); // where the user's sort puts it, hidden if their filter says so
    arrive(card);
    refreshCount();
    const { who, title } = describe(card);
    announce(announcer, `New escalation from ${who}: ${title}${shown ? "" : " (hidden by your filter)"}`);
    flashTitle("New escalation");
  }

  function removeCard(id, note) {
    departed.add(id);
    const card = cardFor(id);
    if (!card || card.classList.contains("is-leaving")) return;
    card.classList.add("is-leaving");
    const gone = card.querySelector("[data-gone-note]");
    gone.textContent = note;
    gone.hidden = false;
    const button = card.querySelector("[data-open-context]");
    const hadFocus = card.contains(document.activeElement);
    if (button) button.disabled = true;
    refreshCount();
    const { title } = describe(card);
    announce(announcer, `${title}: ${note}`);
    setTimeout(() => {
      card.remove();
      refreshCount();
      if (hadFocus) (list.querySelector(".hcard:not([hidden]) [data-open-context]") || queue.querySelector("h2")).focus();
    }, prefersReducedMotion() ? LEAVE_MS / 2 : LEAVE_MS);
  }

  async function refreshAssessment(id) {
    const card = cardFor(id);
    if (!card) return;
    let fragment;
    try {
      fragment = await fetchFragment(`/escalations/${encodeURIComponent(id)}/card`);
    } catch {
      return;
    }
    if (!fragment) return removeCard(id, "No longer waiting");
    const fresh = fragment.querySelector("[data-assessment]");
    const old = card.querySelector("[data-assessment]");
    if (fresh && old) old.replaceWith(fresh);
  }

  // After a (re)connect: bring the list in line with the server, so no arrival is missed.
  let refetching = null;
  let refetchAgain = false;
  async function refetch() {
    if (refetching) {
      refetchAgain = true; // the answer on its way may predate what made us ask again
      return refetching;
    }
    refetching = (async () => {
      const startedAt = performance.now();
      let fragment;
      try {
        fragment = await fetchFragment(queue.dataset.cardsUrl);
      } catch {
        return;
      }
      if (!fragment) return;
      const fresh = [...fragment.querySelectorAll(".hcard")].filter((c) => !departed.has(c.dataset.handoffId));
      const ids = new Set(fresh.map((c) => c.dataset.handoffId));
      for (const card of cards()) {
        // A card that arrived live while this answer was on its way is newer than the answer: it stays.
        if (ids.has(card.dataset.handoffId) || card.classList.contains("is-leaving")) continue;
        if (Number(card.dataset.addedAt || 0) <= startedAt) card.remove();
      }
      const arrived = [];
      for (const card of fresh) {
        let node = cardFor(card.dataset.handoffId);
        if (!node) {
          node = card;
          list.append(node);
          arrive(node);
          arrived.push(node);
        } else if (!node.classList.contains("is-leaving")) {
          // Update what can change in place: the card (and its button, maybe the opener of the
          // context screen or the focused element) stays the same node.
          const freshMeta = card.querySelector(".hcard-meta");
          const oldMeta = node.querySelector(".hcard-meta");
          if (freshMeta && oldMeta) oldMeta.replaceWith(freshMeta);
        }
      }
      // The user's sort and filter, over what the server sent and any newer live arrival alike.
      view.arrange();
      refreshCount();
      tick();
      if (arrived.length === 1) {
        const { who, title } = describe(arrived[0]);
        announce(announcer, `New escalation from ${who}: ${title}`);
      } else if (arrived.length > 1) {
        announce(announcer, `${arrived.length} new escalations in the queue`);
      }
      if (arrived.length) flashTitle("New escalation");
    })();
    try {
      await refetching;
    } finally {
      refetching = null;
    }
    if (refetchAgain) {
      refetchAgain = false;
      await refetch();
    }
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-open-context]");
    if (button) openContext(button.dataset.openContext, button);
  });

  realtime.on("handoff.created", (frame) => frame.handoff && addCard(frame.handoff.id));
  realtime.on("handoff.claimed", (frame) => {
    const h = frame.handoff || {};
    const by = h.claimed_by || {};
    removeCard(h.id, by.id === me ? "You claimed this" : `Claimed by ${by.name || by.email || "another engineer"}`);
  });
  realtime.on("handoff.updated", (frame) => {
    const h = frame.handoff || {};
    if (h.state === "cancelled") removeCard(h.id, "Resolved by the technician");
    else refreshAssessment(h.id);
  });
  presence.onChange((id, viewers) => {
    const card = cardFor(id);
    if (card) presence.render(card.querySelector("[data-presence]"), viewers);
  });
  // The metric card ("Today", "Last 7 days") from the server after a claim: one small fragment.
  // Claims in a burst share one request; each page waits a random moment (under a second) first,
  // so a claim seen by hundreds of open queues does not reach the server as one spike.
  const metrics = document.querySelector("[data-metrics]");
  let metricsTimer = null;
  let metricsBusy = false;
  let metricsAgain = false;
  async function refreshMetrics() {
    if (metricsBusy) {
      metricsAgain = true;
      return;
    }
    metricsBusy = true;
    try {
      const fragment = await fetchFragment(metrics.dataset.metricsUrl);
      const fresh = fragment && fragment.querySelector(".metric-groups");
      const old = metrics.querySelector(".metric-groups");
      if (fresh && old) old.replaceWith(fresh);
    } catch {
      /* the next claim or reconnect asks again */
    } finally {
      metricsBusy = false;
    }
    if (metricsAgain) {
      metricsAgain = false;
      refreshMetrics();
    }
  }
  const metricsSoon = () => {
    if (!metrics || metricsTimer) return;
    metricsTimer = setTimeout(() => {
      metricsTimer = null;
      refreshMetrics();
    }, 100 + Math.random() * 900);
  };
  realtime.on("handoff.claimed", metricsSoon);

  // Every (re)connect, the first one too: anything raised between the page render and the
  // socket being ready is brought in.
  realtime.onOpen(({ reconnected }) => {
    refetch();
    if (reconnected) metricsSoon();
  });

  tick();
  setInterval(tick, 5000);
}

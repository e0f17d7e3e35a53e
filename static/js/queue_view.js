// How the queue is shown: cards or a compact list, newest first or longest waiting first, and a
// filter (text in the title, problem or requester; escalations or handoffs; handed to me). The
// choices are the user's own, kept in localStorage under their user id, and every card that
// arrives live (queue.js) is placed and filtered by them too.

const DEFAULTS = { view: "cards", sort: "newest", q: "", intent: "all", mine: false };
const CHOICES = { view: ["cards", "compact"], sort: ["newest", "waiting"], intent: ["all", "escalate", "handoff"] };

function load(key) {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(key) || "{}") || {};
  } catch {
    saved = {};
  }
  const state = { ...DEFAULTS };
  for (const [name, allowed] of Object.entries(CHOICES)) if (allowed.includes(saved[name])) state[name] = saved[name];
  if (typeof saved.q === "string") state.q = saved.q.slice(0, 200);
  state.mine = saved.mine === true;
  return state;
}

const norm = (text) => (text || "").toLocaleLowerCase().replace(/\s+/g, " ").trim();

/**
 * `controls` is the form of the queue's toolbar; `list` the <ol> of cards. `onChange()` runs after
 * every choice (queue.js recounts). Returns what queue.js needs for live arrivals.
 */
export function queueView({ controls, list, me, onChange }) {
  const key = `rf.queue.view.${me || "anonymous"}`;
  const state = load(key);
  const field = (name) => controls.elements.namedItem(name);

  const save = () => {
    try {
      localStorage.setItem(key, JSON.stringify(state));
    } catch {
      /* private mode, quota: the choices hold for this page */
    }
  };

  function matches(card) {
    if (state.intent !== "all" && card.dataset.intent !== state.intent) return false;
    if (state.mine && !(card.dataset.intent === "handoff" && card.dataset.targetId === me)) return false;
    if (!state.q) return true;
    const haystack = [".hcard-title", ".hcard-problem", ".hcard-requester strong"]
      .map((selector) => card.querySelector(selector)?.textContent || "").join(" ");
    return norm(haystack).includes(norm(state.q));
  }

  // Newest first, or the one that has waited longest first; ties by id, so the order is stable.
  function before(a, b) {
    const ta = Date.parse(a.dataset.createdAt) || 0;
    const tb = Date.parse(b.dataset.createdAt) || 0;
    if (ta !== tb) return state.sort === "waiting" ? ta < tb : ta > tb;
    return a.dataset.handoffId < b.dataset.handoffId;
  }

  const cards = () => [...list.querySelectorAll(":scope > .hcard")];

  /** Order and filter every card. Only what is out of place moves; focus is kept. */
  function arrange() {
    const focused = document.activeElement;
    const sorted = cards().sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    let previous = null;
    for (const card of sorted) {
      const inPlace = previous ? previous.nextElementSibling === card : list.firstElementChild === card;
      if (!inPlace) {
        if (previous) previous.after(card);
        else list.prepend(card);
      }
      previous = card;
      card.hidden = !matches(card);
    }
    if (focused && focused !== document.activeElement && focused.isConnected && !focused.closest("[hidden]")) {
      focused.focus({ preventScroll: true });
    }
  }

  /** A card that arrived live: put it where the sort says, shown or not as the filter says. */
  function place(card) {
    card.hidden = !matches(card);
    const next = cards().find((other) => other !== card && before(card, other));
    if (next) next.before(card);
    else list.append(card);
    return !card.hidden;
  }

  function render() {
    field("view").value = state.view;
    field("sort").value = state.sort;
    field("q").value = state.q;
    field("intent").value = state.intent;
    field("mine").checked = state.mine;
    list.classList.toggle("is-compact", state.view === "compact");
    arrange();
    onChange();
  }

  function read() {
    state.view = field("view").value === "compact" ? "compact" : "cards";
    state.sort = field("sort").value === "waiting" ? "waiting" : "newest";
    state.q = field("q").value.slice(0, 200);
    state.intent = CHOICES.intent.includes(field("intent").value) ? field("intent").value : "all";
    state.mine = field("mine").checked;
    save();
    list.classList.toggle("is-compact", state.view === "compact");
    arrange();
    onChange();
  }

  controls.addEventListener("input", read);
  controls.addEventListener("change", read);
  controls.addEventListener("submit", (event) => event.preventDefault());
  controls.addEventListener("reset", () => {
    Object.assign(state, DEFAULTS, { view: state.view, sort: state.sort });
    save();
    // After the form's own reset has run: render() puts the kept choices back.
    setTimeout(render);
  });

  render();
  const filtering = () => Boolean(state.q) || state.intent !== "all" || state.mine;
  return { arrange, place, matches, filtering };
}

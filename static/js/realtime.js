// The one websocket of a page (/ws/escalations/): connection, reconnects and dispatch.
// Every page module imports this and subscribes; nobody else opens a socket.
//
// Reconnects back off exponentially with jitter, capped (BASE_MS·2^n, at most CAP_MS, then a
// random point in its upper half), so a restarted server is not hit by every tab at once.
// After each reconnect, `onOpen` listeners get {reconnected: true} and refetch what they
// show, so nothing sent while the socket was down is missed. Frames registered with `stick`
// (presence joins) are re-sent on every (re)connect. A 4401 close (signed out) is final.

const BASE_MS = 500;
const CAP_MS = 15000;
const PING_MS = 25000;
const SILENCE_MS = 60000; // no frame (not even a pong) for this long: the socket is half-dead

const listeners = new Map(); // frame type -> Set(fn)
const statusListeners = new Set();
const openListeners = new Set();
const sticky = new Map();
let socket = null;
let attempt = 0;
let retryTimer = null;
let pingTimer = null;
let lastFrameAt = 0;
let state = "connecting";
let everReady = false;
let stopped = false;

export function backoffDelay(n, random = Math.random) {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** n);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function safely(fn, ...args) {
  try {
    fn(...args);
  } catch (err) {
    console.error("realtime listener failed", err);
  }
}

function setState(next) {
  if (state === next) return;
  state = next;
  document.documentElement.dataset.realtime = next;
  for (const fn of statusListeners) safely(fn, next);
}

function socketUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/escalations/`;
}

function sendRaw(frame) {
  if (socket && socket.readyState === WebSocket.OPEN && state === "live") {
    socket.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function dispatch(frame) {
  for (const key of [frame.type, "*"]) {
    for (const fn of listeners.get(key) || []) safely(fn, frame);
  }
}

function schedule() {
  if (stopped) return;
  clearTimeout(retryTimer);
  setState("reconnecting");
  retryTimer = setTimeout(connect, backoffDelay(attempt));
  attempt += 1;
}

function startPing(sock) {
  clearInterval(pingTimer);
  pingTimer = setInterval(() => {
    if (sock !== socket) return clearInterval(pingTimer);
    if (Date.now() - lastFrameAt > SILENCE_MS) {
      sock.close();
      return;
    }
    sendRaw({ type: "ping" });
  }, PING_MS);
}

function connect() {
  clearTimeout(retryTimer);
  if (stopped || socket) return;
  if (!everReady && attempt === 0) setState("connecting");
  let sock;
  try {
    sock = new WebSocket(socketUrl());
  } catch (err) {
    schedule();
    return;
  }
  socket = sock;
  sock.addEventListener("open", () => {
    lastFrameAt = Date.now();
    startPing(sock);
  });
  sock.addEventListener("message", (event) => {
    if (sock !== socket) return;
    lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    if (frame.type === "ready") {
      const reconnected = everReady;
      everReady = true;
      attempt = 0;
      setState("live");
      for (const f of sticky.values()) sendRaw(f);
      for (const fn of openListeners) safely(fn, { reconnected });
      return;
    }
    dispatch(frame);
  });
  sock.addEventListener("close", (event) => {
    if (sock !== socket) return;
    socket = null;
    clearInterval(pingTimer);
    // 4401: signed out (never authenticated, or the account, token or session ended): stay
    // down and say so. 4403: the rights changed (role, account, password): reconnect like
    // after any drop; the new socket is authorised afresh, or gets 4401 and stops here.
    if (event.code === 4401) {
      stopped = true;
      setState("signed-out");
      return;
    }
    schedule();
  });
}

function reconnectNow() {
  if (stopped || socket) return;
  attempt = 0;
  connect();
}

export const realtime = {
  /** Subscribe to frames of one type ("*" for all); returns an unsubscribe function. */
  on(type, fn) {
    if (!listeners.has(type)) listeners.set(type, new Set());
    listeners.get(type).add(fn);
    return () => listeners.get(type).delete(fn);
  },
  /** Called with the state now and on every change: connecting, live, reconnecting, signed-out. */
  onStatus(fn) {
    statusListeners.add(fn);
    safely(fn, state);
  },
  /** Called after each "ready" frame with {reconnected}. */
  onOpen(fn) {
    openListeners.add(fn);
    if (state === "live") safely(fn, { reconnected: false });
  },
  send(frame) {
    return sendRaw(frame);
  },
  /** Send `frame` now and again after every reconnect, until `unstick(key)`. */
  stick(key, frame) {
    sticky.set(key, frame);
    sendRaw(frame);
  },
  unstick(key, farewell) {
    sticky.delete(key);
    if (farewell) sendRaw(farewell);
  },
  get state() {
    return state;
  },
};

if (document.body.dataset.userId) {
  document.documentElement.dataset.realtime = state;
  addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) reconnectNow();
  });
  // Leaving the page is not a lost connection: no "reconnecting" flash while navigating.
  addEventListener("pagehide", () => {
    stopped = true;
    clearTimeout(retryTimer);
    if (socket) socket.close(1000);
  });
  addEventListener("pageshow", (event) => {
    if (event.persisted) {
      stopped = false;
      socket = null;
      reconnectNow();
    }
  });
  connect();
}

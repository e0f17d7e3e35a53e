// Times from websocket frames and the API are ISO 8601 UTC; a page shows them in the signed-in
// user's time zone, with the zone's abbreviation, as the server-rendered times ("Nov 28, 12:45
// AEDT"). The server names the zone on <body data-time-zone> (accounts.time_zones); an unknown
// name falls back to UTC. The result is text: callers put it in with textContent (dom.el).

const FALLBACK_ZONE = "UTC";
const formats = new Map();

export function pageTimeZone() {
  return document.body.dataset.timeZone || FALLBACK_ZONE;
}

function formatter(options) {
  const key = JSON.stringify(options);
  if (!formats.has(key)) {
    const base = { hourCycle: "h23", timeZoneName: "short", ...options };
    let format;
    try {
      format = new Intl.DateTimeFormat(undefined, { ...base, timeZone: pageTimeZone() });
    } catch {
      format = new Intl.DateTimeFormat(undefined, { ...base, timeZone: FALLBACK_ZONE });
    }
    formats.set(key, format);
  }
  return formats.get(key);
}

/** `iso` in the page's zone with the zone's short name; "" for a missing or malformed time. */
export function formatLocalTime(iso, options) {
  const when = new Date(iso);
  if (!iso || Number.isNaN(when.getTime())) return "";
  return formatter(options).format(when);
}

// Every signed-in page: the live connection indicator and the notification bell.
import { realtime } from "./realtime.js";
import "./bell.js";

const LABELS = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out",
};

const indicator = document.querySelector("[data-rt-status]");
if (indicator) {
  const label = indicator.querySelector("[data-rt-label]");
  realtime.onStatus((state) => {
    indicator.dataset.state = state;
    label.textContent = LABELS[state] || state;
  });
}

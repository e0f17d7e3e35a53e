// The Integrations page: "Send a test" queues a test delivery (POST, JSON answer), then follows it
// (GET its JSON every second) until the worker has sent it, and shows the vendor's answer or the
// error. Text goes into the page with textContent only (CSP: no inline script, no HTML strings).
import { csrfToken } from "./dom.js";

const POLL_MS = 1000;
const GIVE_UP_MS = 60_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function show(output, tone, text) {
  output.hidden = false;
  output.dataset.tone = tone;
  output.textContent = text;
}

function toneOf(delivery) {
  if (!delivery.finished) return "info";
  return delivery.status === "delivered" ? "ok" : "bad";
}

async function follow(delivery, output) {
  const deadline = Date.now() + GIVE_UP_MS;
  let current = delivery;
  show(output, "info", current.summary);
  while (!current.finished && Date.now() < deadline) {
    await sleep(POLL_MS);
    const response = await fetch(current.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    current = await response.json();
    show(output, toneOf(current), current.summary);
  }
  if (!current.finished) {
    show(output, "info", "Still queued after a minute: is a worker running? The table shows it once it is sent.");
  }
}

async function sendTest(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("button");
  const output = form.closest("[data-integration]").querySelector("[data-test-result]");
  button.disabled = true;
  show(output, "info", "Queuing the test…");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      show(output, "bad", body.detail || `The test could not be queued (HTTP ${response.status}).`);
      return;
    }
    await follow(body, output);
  } catch (error) {
    show(output, "bad", `Could not follow the test: ${error.message}. Reload the page to see its answer.`);
  } finally {
    button.disabled = false;
  }
}

for (const form of document.querySelectorAll("form[data-test-form]")) {
  form.addEventListener("submit", sendTest);
}

// A test sent before this script ran (or without it) comes back as `?test=<id>`: the server shows
// its answer so far, and an unfinished one is followed from here.
for (const output of document.querySelectorAll("[data-test-result][data-follow]")) {
  const pending = { url: output.dataset.follow, finished: false, summary: output.textContent };
  follow(pending, output).catch((error) => {
    show(output, "bad", `Could not follow the test: ${error.message}. Reload the page to see its answer.`);
  });
}

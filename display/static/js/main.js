// The lobby board: wires the websocket, the board state, the drawing, the clock, the running text, the announcer
// and the health reports together. Configuration comes from the page (the public catalogue) and the device token
// from the URL fragment (#token=...), which the browser never sends to the server's logs. When a supervisor changes
// the site's configuration (`site.configured`), the catalogue is read again from /display/{site}/{screen}/config
// and the board redrawn with it, keeping its calls and its connection: an unattended TV must follow by itself.

import { Announcer } from "./announcer.js";
import { Board } from "./board.js";
import { SiteClock } from "./clock.js";
import { HealthReporter } from "./health.js";
import { StatusView } from "./status_view.js";
import { Ticker } from "./ticker.js";
import { BoardView } from "./view.js";
import { LiveClient } from "/static/shared/live-client.js";
import { Pairing, deviceToken, forgetToken } from "/static/shared/device-pairing.js";

let config = JSON.parse(document.getElementById("board-config").textContent);
// The address's #token=..., else the one this browser kept for this screen; none: the screen shows a pairing code
// for an admin to type on Settings -> Perangkat (device-pairing.js), and starts once paired.
const token = deviceToken();
let pairing = null; // the pairing code shown, if any

const board = new Board();
const clock = new SiteClock(config.site.timezone, config.lang);
const view = new BoardView(config, clock);
const status = new StatusView(config, clock);
const ticker = new Ticker(document.getElementById("ticker-text"));
clock.show(document.getElementById("clock-date"), document.getElementById("clock-time"));

// The shared client (docs/protocol.md) resumes from the last seq it passed on; the board also skips what it has.
// A refused screen tries again every minute for an hour, so fixing the token or the site file is enough.
const RECONNECT_CEILING_MS = 10_000;
const connection = new LiveClient({
  hello: () => ({
    role: "display",
    site: config.site.id,
    screen: config.screen.id,
    ...(token ? { token } : {}),
    client: "display/1",
  }),
  onMessage: receive,
  onStatus: showLink,
  refusedRetryMs: 60_000,
  refusedRetries: Infinity, // an unattended TV must recover by itself once its screen or token is put right
  // A lower ceiling than the shared 30 s: after an outage the hall's TVs are back within 10 s of the server (a few
  // dozen screens retrying every few seconds are nothing to it), not up to half a minute late.
  maxDelayMs: RECONNECT_CEILING_MS,
});
const waits = []; // the last reconnect pauses, for support (window.__display.waits)

function showLink(state, detail) {
  if (state === "connected") status.setLink("live");
  else if (state === "reconnecting") {
    status.setLink("offline", connection.heardAt);
    waits.push({ delayMs: detail.delayMs, ceilingMs: detail.ceilingMs });
    if (waits.length > 20) waits.shift();
  }
  else if (state === "refused") {
    status.setLink("refused");
    status.showRefusal(detail.error);
    // Its token revoked, unknown or another screen's: a pairing code right away, under the server's sentence, so the
    // technician can pair it (again) from Settings without typing a new address on the TV.
    if ((detail.error?.details?.device_token || detail.error?.code === "wrong_screen") && !pairing) {
      connection.close();
      forgetToken(token);
      pairing = new Pairing({ ...pairingOf(config), reason: detail.error });
      pairing.start();
    }
  }
}

// This screen's code pairs only as a TV of this screen (Settings fixes kind and screen for it).
function pairingOf(config) {
  return { site: config.site.id, kind: "display", screen: config.screen.id, lang: config.lang };
}

const health = new HealthReporter((text) => connection.send(text), config.screen.speaker ? "unknown" : "off");

const announcer = new Announcer({
  speaker: config.screen.speaker,
  now: () => clock.now(),
  log: (window.__announcements = []),
  // The caption: the printed label and where to go (for a citizen who cannot hear), then the words said.
  onCaption: (item) =>
    status.setCaption(
      item && { label: item.label, where: view.whereOf(item.counter), text: item.text, recall: Boolean(item.recall) },
    ),
  onSpeaking: (item) => {
    view.speaking(item);
    if (!item) setTimeout(reportSpeech, 0); // once the call just said has left the queue
  },
  onState: (state) => {
    status.setAudio(state);
    health.update({ audio: state });
  },
});

// What this screen has said, for the counters' operators (application/heard.py): every call up to `said_seq` has
// been said (or given up unsaid, too far behind), and `speech_queue` calls are still to be said. Calls are said in
// their order, but a recall of a call already said goes first: so it is the oldest call still queued that bounds
// what was said, not the last one heard. A screen without a speaker says nothing and reports nothing of it.
function reportSpeech() {
  if (!config.screen.speaker) return;
  const queued = announcer.waiting.map((item) => item.seq);
  const said = queued.length ? Math.min(...queued) - 1 : board.seq;
  health.update({ said_seq: Math.max(0, said), speech_queue: queued.length });
}

// --- following the site's configuration ------------------------------------------------------------------------

const CONFIG_RETRY_MS = 10_000;
let configReads = 0; // the newest read wins: an older answer arriving late is dropped
let configRetry = 0;
let resyncKeep = null; // set while a snapshot asked for by a new scope is awaited: which calls stay on the board

function configUrl() {
  const site = encodeURIComponent(config.site.id);
  const screen = encodeURIComponent(config.screen.id);
  return `/display/${site}/${screen}/config?lang=${encodeURIComponent(config.lang)}`;
}

async function refreshConfig() {
  const read = ++configReads;
  clearTimeout(configRetry);
  let fresh = null;
  let gone = false;
  try {
    const response = await fetch(configUrl(), { cache: "no-store", credentials: "omit" });
    if (response.ok) fresh = await response.json();
    else gone = response.status === 404; // the screen was removed: the board stays as it was, the socket says why
  } catch {
    fresh = null; // the server is restarting or out of reach: try again shortly
  }
  if (read !== configReads) return;
  if (fresh) applyConfig(fresh);
  else if (!gone) configRetry = setTimeout(refreshConfig, CONFIG_RETRY_MS);
}

const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// The page's JSON and the route's may list keys in another order: compare with the keys sorted.
const byKey = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);
const sortedKeys = (_, v) =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byKey)) : v;
const canonical = (value) => JSON.stringify(value, sortedKeys);

function applyConfig(fresh) {
  const old = config;
  if (canonical(old) === canonical(fresh)) return; // nothing this screen shows has changed
  config = fresh;
  view.reconfigure(fresh);
  document.querySelector(".site-name").textContent = fresh.site.name;
  document.querySelector(".screen-name").textContent = fresh.screen.name;
  document.title = `${fresh.screen.name} — ${fresh.site.name}`;
  const sameScope =
    sameList(old.scope.counters, fresh.scope.counters) && sameList(old.scope.services, fresh.scope.services);
  // The server matched this connection's events to the scope of its hello. A whole-site screen gets everything
  // anyway; a filtered one whose scope changed asks for a fresh snapshot of the new scope.
  if (!sameScope && !(old.whole_site && fresh.whole_site)) {
    const counters = new Set(fresh.scope.counters);
    const services = new Set(fresh.scope.services);
    resyncKeep = (call) => counters.has(call.ticket.counter) || services.has(call.ticket.service);
    connection.resync();
  }
}

const STILL_SAID = new Set(["called", "no_show"]);

function receive(message) {
  switch (message.type) {
    case "welcome":
      clock.sync(message.server_time);
      health.resend();
      return;
    case "snapshot":
      // A snapshot stands for every event before it, a `site.configured` among them (after an outage too long
      // to replay, or between the page's load and its hello): the catalogue is read again with it.
      if (!resyncKeep) refreshConfig();
      board.loadSnapshot(message, resyncKeep);
      resyncKeep = null;
      ticker.set(board.runningText);
      view.schedule(board);
      reportSpeech(); // the calls before it are not said here: what this screen says starts after it
      return;
    case "error":
      console.warn("server:", message.code, message.message_en);
      return;
  }
  if (!board.isNew(message)) return;
  if (message.type === "site.configured") refreshConfig();
  // Served, moved, cancelled ...: nothing left to say. Not a no-show: an operator who gave up on a call this screen
  // has not said yet (a burst) did so before the citizen could hear it; it is still said, in its place.
  const moved = message.data?.ticket;
  if (moved && !STILL_SAID.has(moved.state)) announcer.forget(moved.id);
  const call = board.apply(message);
  view.schedule(board);
  ticker.set(board.runningText); // a supervisor may have changed it (site.running_text)
  if (!call) {
    reportSpeech();
    return;
  }
  health.update({ last_call_seq: call.seq, last_call_label: call.ticket.label });
  const called = call.announcement;
  if (called) {
    // A screen over several floors says the counter's floor too (the server builds that variant of the WAV).
    const a = config.multi_floor && called.with_zone ? { ...called, ...called.with_zone } : called;
    const words = (variant) => (config.lang === "en" && variant.text_en ? variant.text_en : variant.text);
    announcer.enqueue({
      seq: call.seq, ticket: call.ticket.id, label: call.ticket.label, counter: call.ticket.counter, url: a.url,
      text: words(a), brief: a.brief ? { url: a.brief.url, text: words(a.brief) } : null, repeat: a.repeat,
      at: call.at, recall: call.recall,
    });
    reportSpeech();
  }
}

// Any tap, click or remote-control key unblocks the sound (browsers allow it after a user gesture).
for (const type of ["pointerdown", "keydown", "touchstart"]) {
  document.addEventListener(type, () => announcer.unlock(), { passive: true });
}

window.__display = { board, view, connection, announcer, health, clock, waits, get pairing() { return pairing; } };
status.setAudio(announcer.state);
if (token) connection.start();
else {
  pairing = new Pairing(pairingOf(config));
  pairing.start();
}

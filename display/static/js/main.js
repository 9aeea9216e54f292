// The lobby board: wires the websocket, the board state, the drawing, the clock, the running text, the announcer
// and the health reports together. Configuration comes from the page (the public catalogue) and the device token
// from the URL fragment (#token=...), which the browser never sends to the server's logs.

import { Announcer } from "./announcer.js";
import { Board } from "./board.js";
import { SiteClock } from "./clock.js";
import { HealthReporter } from "./health.js";
import { StatusView } from "./status_view.js";
import { Ticker } from "./ticker.js";
import { BoardView } from "./view.js";
import { LiveClient } from "/static/shared/live-client.js";

const config = JSON.parse(document.getElementById("board-config").textContent);
const token = new URLSearchParams(location.hash.slice(1)).get("token");

const board = new Board();
const clock = new SiteClock(config.site.timezone, config.lang);
const view = new BoardView(config, clock);
const status = new StatusView(config);
const ticker = new Ticker(document.getElementById("ticker-text"));
clock.show(document.getElementById("clock-date"), document.getElementById("clock-time"));

// The shared client (docs/protocol.md) resumes from the last seq it passed on; the board also skips what it has.
// A refused screen tries again every minute for an hour, so fixing the token or the site file is enough.
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
});

function showLink(state, detail) {
  if (state === "connected") status.setLink("live");
  else if (state === "reconnecting") status.setLink("offline");
  else if (state === "refused") {
    status.setLink("refused");
    status.showRefusal(detail.error);
  }
}

const health = new HealthReporter((text) => connection.send(text), config.screen.speaker ? "unknown" : "off");

const announcer = new Announcer({
  speaker: config.screen.speaker,
  now: () => clock.now(),
  log: (window.__announcements = []),
  onCaption: (text) => status.setCaption(text),
  onState: (state) => {
    status.setAudio(state);
    health.update({ audio: state });
  },
});

function receive(message) {
  switch (message.type) {
    case "welcome":
      clock.sync(message.server_time);
      health.resend();
      return;
    case "snapshot":
      board.loadSnapshot(message);
      ticker.set(board.runningText);
      view.schedule(board);
      return;
    case "error":
      console.warn("server:", message.code, message.message_en);
      return;
  }
  if (!board.isNew(message)) return;
  const call = board.apply(message);
  view.schedule(board);
  ticker.set(board.runningText); // a supervisor may have changed it (site.running_text)
  if (!call) return;
  health.update({ last_call_seq: call.seq, last_call_label: call.ticket.label });
  const a = call.announcement;
  if (a) {
    const text = config.lang === "en" && a.text_en ? a.text_en : a.text;
    announcer.enqueue({ seq: call.seq, label: call.ticket.label, url: a.url, text, repeat: a.repeat, at: call.at });
  }
}

// Any tap, click or remote-control key unblocks the sound (browsers allow it after a user gesture).
for (const type of ["pointerdown", "keydown", "touchstart"]) {
  document.addEventListener(type, () => announcer.unlock(), { passive: true });
}

window.__display = { board, view, connection, announcer, health, clock };
status.setAudio(announcer.state);
connection.start();

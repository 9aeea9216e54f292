// The websocket to the queue server: hello with the last seq seen (so the server replays what was missed), answer
// pings, notice a dead link by silence, and reconnect with backoff forever. A refused hello (wrong token, unknown
// screen) is reported once and retried slowly, in case someone fixes the server side.

import { backoffDelay } from "./backoff.js";

const REFUSED = 4003; // the server's close code after a refused hello
const REFUSED_RETRY_MS = 60_000;
const SILENCE_FACTOR = 2.5; // heartbeats missed before the link counts as dead
const DEFAULT_HEARTBEAT_S = 15;

export class Connection {
  #ws = null;
  #live = false;
  #attempt = 0;
  #heartbeatMs = DEFAULT_HEARTBEAT_S * 1000;
  #watchdog = 0;
  #retryTimer = 0;
  #refusal = null;

  constructor({ url, hello, onMessage, onStatus, onRefused, delay = backoffDelay }) {
    Object.assign(this, { url, hello, onMessage, onStatus, onRefused, delay });
  }

  start() {
    this.#open();
  }

  get live() {
    return this.#live;
  }

  // Sends a frame if the hello has been answered; false otherwise (the caller re-sends after the next welcome).
  send(message) {
    if (!this.#live || this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(typeof message === "string" ? message : JSON.stringify(message));
    return true;
  }

  // Closes the socket as if the network had dropped it (used when the link falls silent, and by tests).
  drop() {
    const ws = this.#ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    this.#closed(ws, 1006);
  }

  #open() {
    clearTimeout(this.#retryTimer);
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    this.#live = false;
    this.#refusal = null;
    this.#watch();
    ws.onopen = () => ws.send(JSON.stringify(this.hello()));
    ws.onmessage = (event) => this.#receive(ws, event.data);
    ws.onclose = (event) => this.#closed(ws, event.code); // an error is always followed by a close
  }

  #receive(ws, text) {
    if (ws !== this.#ws) return;
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    this.#watch();
    if (message.type === "ping") {
      ws.send(JSON.stringify({ type: "pong", seq: message.seq }));
      return;
    }
    if (message.type === "welcome") {
      this.#live = true;
      this.#attempt = 0;
      this.#heartbeatMs = (message.heartbeat_seconds || DEFAULT_HEARTBEAT_S) * 1000;
      this.#watch();
      this.onStatus("live");
    } else if (message.type === "error" && !this.#live) {
      this.#refusal = message; // the close that follows says whether it was a refusal
    }
    this.onMessage(message);
  }

  #closed(ws, code) {
    if (ws !== this.#ws) return;
    clearTimeout(this.#watchdog);
    this.#ws = null;
    this.#live = false;
    if (code === REFUSED && this.#refusal) {
      this.onStatus("refused");
      this.onRefused(this.#refusal);
      this.#retryTimer = setTimeout(() => this.#open(), REFUSED_RETRY_MS);
      return;
    }
    this.onStatus("offline");
    this.#retryTimer = setTimeout(() => this.#open(), this.delay(this.#attempt++));
  }

  // A link that carries nothing (not even the server's ping) for a few heartbeats is dead, even if TCP says not.
  #watch() {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => this.drop(), this.#heartbeatMs * SILENCE_FACTOR);
  }
}

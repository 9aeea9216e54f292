// A websocket that follows one ticket (role "ticket", docs/protocol.md): hello, answer pings, notice a dead link by
// its silence, and reconnect with growing pauses. Phones sleep and change networks, so this never gives up.

const SILENCE_FACTOR = 2.5; // heartbeats missed before the link counts as dead
const MAX_DELAY_MS = 30_000;

export class TicketLink {
  #ws = null;
  #attempt = 0;
  #watchdog = 0;
  #heartbeatMs = 15_000;

  constructor({ token, onMessage, onStatus }) {
    Object.assign(this, { token, onMessage, onStatus });
    this.stopped = false;
  }

  start() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.#ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", role: "ticket", ticket: this.token, client: "citizen-mobile/1" }));
    ws.onmessage = (event) => this.#receive(ws, event.data);
    ws.onclose = () => this.#closed(ws);
    this.#watch();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.#watchdog);
    this.#ws?.close();
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
    if (message.type === "ping") return ws.send(JSON.stringify({ type: "pong", seq: message.seq }));
    if (message.type === "welcome") {
      this.#attempt = 0;
      this.#heartbeatMs = (message.heartbeat_seconds || 15) * 1000;
      this.onStatus("live");
    }
    this.onMessage(message);
  }

  #closed(ws) {
    if (ws !== this.#ws) return;
    clearTimeout(this.#watchdog);
    this.#ws = null;
    if (this.stopped) return;
    this.onStatus("offline");
    const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** this.#attempt++) * (0.75 + Math.random() / 2);
    setTimeout(() => this.start(), delay);
  }

  #watch() {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => this.#ws?.close(), this.#heartbeatMs * SILENCE_FACTOR);
  }
}

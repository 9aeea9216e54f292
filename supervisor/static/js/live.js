// One websocket to the server (/ws): hello, then frames to `onFrame`; answers the server's pings (they keep the
// connection alive) and reconnects with exponential backoff and jitter. A refusal (bad token, another agency) is
// final: it goes to `onRefused` and no reconnect follows.

const REFUSALS = new Set(["unauthenticated", "forbidden", "not_your_agency", "unknown_agency", "unknown_counter"]);

export class Live {
  constructor(hello, { onFrame, onState, onRefused }) {
    this.hello = hello;
    this.onFrame = onFrame;
    this.onState = onState || (() => {});
    this.onRefused = onRefused || (() => {});
    this.attempt = 0;
    this.stopped = false;
    this.lastSeq = 0;
  }

  start() {
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    this.ws = ws;
    this.onState(this.attempt ? "reconnecting" : "connecting");
    ws.addEventListener("open", () => {
      const hello = { type: "hello", ...this.hello() };
      if (this.lastSeq) hello.last_seq = this.lastSeq;
      ws.send(JSON.stringify(hello));
    });
    ws.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "ping") {
        ws.send(JSON.stringify({ type: "pong", seq: frame.seq }));
        return;
      }
      if (frame.type === "welcome") {
        this.attempt = 0;
        this.onState("connected");
      }
      if (frame.type === "error" && REFUSALS.has(frame.code)) {
        this.stopped = true;
        this.onState("refused");
        this.onRefused(frame);
        return;
      }
      if (typeof frame.seq === "number" && frame.seq > this.lastSeq && frame.type !== "ping") this.lastSeq = frame.seq;
      this.onFrame(frame);
    });
    ws.addEventListener("close", () => {
      if (this.stopped) return;
      this.onState("reconnecting");
      const delay = Math.min(30000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    });
  }
}

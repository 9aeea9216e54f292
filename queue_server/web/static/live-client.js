// The one websocket client of docs/protocol.md, shared by every page (lobby TV, citizen's phone, counter,
// supervisor dashboard, survey tablet). It says hello with the page's own fields and the last seq it applied,
// answers the server's pings and pings a quiet link itself, gives up on a silent link, reconnects with exponential
// backoff and full jitter, resumes from its last seq without a gap or a duplicate, and reports its status so that
// each page says it in its own words. The page only sees the frames that matter to it.
//
//   const link = new LiveClient({ hello: () => ({ role: "display", site, screen, token }), onMessage, onStatus });
//   link.start();   link.send({ type: "health", ... });   link.close();   link.retryNow();
//
// onStatus(status, detail):
//   "connecting"    { first, attempt }         a socket is opening (first: the first since start())
//   "connected"     { welcome, resume }        the hello was accepted ("replay" or "snapshot" follows)
//                   { recovered: true }         a frame came back after probe(): the link works
//   "doubtful"      { timeoutMs }              probe() pinged; nothing heard back yet
//   "reconnecting"  { delayMs, seconds, ceilingMs, attempt, code }   the link dropped; next try in delayMs
//   "refused"       { error, retryMs }         the server's error frame; retryMs null: the client has stopped
//   "closed"        {}                          close() was called

export const BASE_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;
export const STABLE_MS = 30_000; // a connection up this long sends the backoff back to its start
export const HEARTBEAT_SECONDS = 15; // until a welcome says otherwise
const PING_AFTER = 1.5; // heartbeats of silence (a server ping missed): ask the server ourselves
const DEAD_AFTER = 3; // heartbeats of silence: the link is dead even if TCP says not (docs/protocol.md)
export const PROBE_TIMEOUT_MS = 5000; // probe(): nothing heard this long after its ping, the link is replaced
const CLOSE_REFUSED = 4003;
const CLOSE_TOO_SLOW = 4008;

// Full jitter: anywhere between 0 and the ceiling, so a hall of screens that lost a restarting server together
// does not come back in the same millisecond. The ceiling doubles per failed attempt, up to maxMs.
export function backoffDelay(attempt, { baseMs = BASE_DELAY_MS, maxMs = MAX_DELAY_MS } = {}, random = Math.random) {
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return { delayMs: Math.round(random() * ceilingMs), ceilingMs };
}

function sameHostUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

// Closes a socket without waiting for its close handshake; its late events are ignored.
function forget(ws, code) {
  ws.onopen = ws.onmessage = ws.onclose = null;
  try {
    ws.close(code);
  } catch {
    // already closing
  }
}

export class LiveClient {
  #ws = null;
  #connected = false;
  #stopped = true;
  #lastSeq = 0;
  #attempt = 0; // failed attempts since the last stable connection: the backoff's exponent
  #tries = 0; // sockets opened since start()
  #refusals = 0; // refused hellos since the last welcome
  #refusal = null; // the last error frame heard: a close 4003 right after it makes it the refusal
  #heartbeatMs;
  #retryTimer = 0;
  #watchTimer = 0;
  #stableTimer = 0;
  #status = "idle";
  #doubt = false; // probe() pinged and nothing has come back yet
  #heardAt = null; // Date.now() of the last frame heard from the server (a ping too), null before the first

  constructor({
    hello,
    onMessage = () => {},
    onStatus = () => {},
    url = sameHostUrl(),
    resume = true, // false: every connection starts from a snapshot (the ticket role: its status is not replayed)
    lastSeq = 0,
    baseDelayMs = BASE_DELAY_MS,
    maxDelayMs = MAX_DELAY_MS,
    stableMs = STABLE_MS,
    heartbeatSeconds = HEARTBEAT_SECONDS,
    refusedRetryMs = 0, // after a refused hello, try again this much later (0: never) ...
    refusedRetries = 0, // ... at most this many times in a row, then stop for good
    random = Math.random,
  }) {
    Object.assign(this, { hello, onMessage, onStatus, url, resume, baseDelayMs, maxDelayMs, stableMs });
    Object.assign(this, { refusedRetryMs, refusedRetries, random });
    this.#lastSeq = lastSeq;
    this.#heartbeatMs = heartbeatSeconds * 1000;
  }

  get connected() {
    return this.#connected;
  }

  get lastSeq() {
    return this.#lastSeq;
  }

  get status() {
    return this.#status;
  }

  // When the server was last heard from (Date.now(); null before the first frame): a page says how old its data is.
  get heardAt() {
    return this.#heardAt;
  }

  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tries = 0;
    this.#attempt = 0;
    this.#refusals = 0;
    this.#open();
  }

  // Sends a frame once the hello is accepted; false otherwise (the page sends it again after the next welcome).
  send(frame) {
    if (!this.#connected || this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    return true;
  }

  // A deliberate end: no reconnect. start() may follow (e.g. after signing in again), resuming from lastSeq.
  close() {
    this.#stopped = true;
    this.#abandon(1000);
    this.#emit("closed", {});
  }

  // As if the network had dropped the socket: reconnect with backoff (the silence watchdog uses it).
  drop() {
    const ws = this.#ws;
    if (!ws) return;
    forget(ws);
    this.#closed(ws, 1006);
  }

  // The page has a reason to doubt the link (a command of its own has had no answer for a few seconds): a ping
  // at once, and status "doubtful" until something comes back. A network that drops packets without a word (a
  // "black hole": no reset, TCP still says connected) would otherwise pass for working until the heartbeat gives
  // up (three heartbeats, 45 s). Nothing heard within timeoutMs: the link is dropped and replaced, and the page's
  // unanswered commands go again on the new one.
  probe(timeoutMs = PROBE_TIMEOUT_MS) {
    if (!this.#connected || this.#doubt) return;
    this.#doubt = true;
    clearTimeout(this.#watchTimer);
    this.#watchTimer = setTimeout(() => this.drop(), timeoutMs);
    this.send('{"type":"ping"}');
    this.#emit("doubtful", { timeoutMs });
  }

  // A page's "try now": the next attempt at once, instead of when the backoff's timer falls due (an attempt under
  // way is replaced). The backoff itself is unchanged: an attempt that fails still counts, so pressing it again and
  // again does not hammer a server that is down. Nothing while connected, stopped, or before start().
  retryNow() {
    if (this.#stopped || this.#connected) return false;
    this.#abandon();
    this.#open();
    return true;
  }

  // Asks for a snapshot: a fresh connection whose hello has no last_seq.
  resync() {
    this.#lastSeq = 0;
    if (this.#stopped) return;
    this.#abandon();
    this.#open();
  }

  #open() {
    clearTimeout(this.#retryTimer);
    const first = this.#tries++ === 0;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      ws = null; // a URL the browser refuses: treated as a failed attempt
    }
    this.#ws = ws;
    this.#connected = false;
    this.#refusal = null;
    this.#emit("connecting", { first, attempt: this.#attempt });
    if (!ws) return this.#closed(null, 1006);
    if (this.#ws !== ws) return; // the page closed the client from its status callback
    ws.onopen = () => ws === this.#ws && ws.send(JSON.stringify(this.#helloFrame()));
    ws.onmessage = (event) => this.#receive(ws, event.data);
    ws.onclose = (event) => this.#closed(ws, event.code); // an error is always followed by a close
    this.#watch();
  }

  #helloFrame() {
    const fields = typeof this.hello === "function" ? this.hello() : this.hello;
    const resumeFrom = this.resume && this.#lastSeq > 0 ? { last_seq: this.#lastSeq } : {};
    return { type: "hello", ...fields, ...resumeFrom };
  }

  #receive(ws, text) {
    if (ws !== this.#ws) return; // a late frame of a socket already given up
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    this.#heardAt = Date.now();
    this.#watch();
    if (this.#doubt) { // heard again after a probe: the link works (the server was only slow to answer)
      this.#doubt = false;
      if (this.#connected) this.#emit("connected", { recovered: true });
    }
    const seq = typeof frame.seq === "number" ? frame.seq : null;
    // The server refuses with an error frame and then closes with 4003, at the hello or later (a token revoked, a
    // session ended: docs/protocol.md). Any other frame after it says that error was not the end (a refused command).
    this.#refusal = frame.type === "error" ? frame : null;
    switch (frame.type) {
      case "ping":
        ws.send('{"type":"pong"}');
        this.#advance(seq); // every followed event up to it has been sent: a valid resume point
        return;
      case "pong":
        this.#advance(seq);
        return;
      case "welcome":
        return this.#welcome(frame);
      case "error":
        if (!this.#connected) return; // a refused hello: the close says so
        break; // the page hears it too (a refused command; or the refusal its close then confirms)
      case "snapshot":
        if (seq !== null) this.#lastSeq = seq; // a new starting point, even a lower one (a new database)
        break;
      default:
        if (!this.#connected) return; // nothing but a welcome or a refusal comes first
        if (seq === null) break; // a notice, a command_result, a status: not in the log
        if (seq <= this.#lastSeq) return; // an event applied already: an overlap with the previous socket
        this.#lastSeq = seq;
    }
    this.onMessage(frame);
  }

  #welcome(frame) {
    this.#connected = true;
    this.#refusals = 0;
    if (frame.heartbeat_seconds > 0) this.#heartbeatMs = frame.heartbeat_seconds * 1000;
    this.#watch();
    // The server's log ends before what this client applied (its database was replaced or restored): the seq
    // this client holds means nothing there. The server answers such a hello with a snapshot; if it did not,
    // ask for one.
    if (typeof frame.seq === "number" && this.#lastSeq > frame.seq) {
      this.#lastSeq = 0;
      if (frame.resume !== "snapshot") return this.resync();
    }
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => (this.#attempt = 0), this.stableMs);
    this.#emit("connected", { welcome: frame, resume: frame.resume });
    if (this.#connected) this.onMessage(frame);
  }

  #advance(seq) {
    if (seq !== null && seq > this.#lastSeq) this.#lastSeq = seq;
  }

  #closed(ws, code) {
    if (ws !== this.#ws) return;
    this.#detach();
    if (this.#stopped) return;
    const refusal = code === CLOSE_REFUSED ? this.#refusal : null;
    if (refusal) {
      // Refused, at the hello or while connected (its token revoked since): said at once, not after a reconnect
      // whose hello the server would refuse alike. Not in a loop: a slow retry, a few times, in case someone fixes
      // the token or the site file on the server; then the page keeps showing why. Any other close (a network
      // drop, a restarting server) reconnects with backoff as ever.
      this.#refusals += 1;
      const again = this.refusedRetryMs > 0 && this.#refusals <= this.refusedRetries;
      if (again) this.#retryTimer = setTimeout(() => this.#open(), this.refusedRetryMs);
      else this.#stopped = true;
      this.#emit("refused", { error: refusal, retryMs: again ? this.refusedRetryMs : null });
      return;
    }
    const attempt = this.#attempt;
    let next;
    if (code === CLOSE_TOO_SLOW) {
      next = backoffDelay(0, { baseMs: this.baseDelayMs, maxMs: this.maxDelayMs }, this.random); // at once, jittered
    } else {
      next = backoffDelay(this.#attempt++, { baseMs: this.baseDelayMs, maxMs: this.maxDelayMs }, this.random);
    }
    this.#retryTimer = setTimeout(() => this.#open(), next.delayMs);
    const seconds = Math.ceil(next.delayMs / 1000);
    this.#emit("reconnecting", { ...next, seconds, attempt, code });
  }

  #abandon(code) {
    const ws = this.#ws;
    this.#detach();
    if (ws) forget(ws, code);
  }

  #detach() {
    this.#doubt = false;
    clearTimeout(this.#watchTimer);
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#retryTimer);
    this.#ws = null;
    this.#connected = false;
  }

  // Every frame heard restarts the watch. Silence for a heartbeat and a half: ping (the server answers at once);
  // silence for three heartbeats: the link is dead.
  #watch() {
    clearTimeout(this.#watchTimer);
    this.#watchTimer = setTimeout(() => {
      this.send('{"type":"ping"}');
      this.#watchTimer = setTimeout(() => this.drop(), this.#heartbeatMs * (DEAD_AFTER - PING_AFTER));
    }, this.#heartbeatMs * PING_AFTER);
  }

  #emit(status, detail) {
    this.#status = status;
    this.onStatus(status, detail);
  }
}

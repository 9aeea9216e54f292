// What the board knows, fed by snapshots and events from the websocket. No DOM here (view.js draws it).
// Events carry the ticket and counter as they are after the change, so applying them is mechanical and a replay
// after a reconnect lands in the same state as the live stream would have.

export const HISTORY_LIMIT = 200; // calls kept in memory; the screen shows the newest few
const ANNOUNCED = new Set(["ticket.called", "ticket.recalled"]);
const AT_COUNTER = new Set(["called", "serving"]);

// Only what a lobby may show is kept: the server sends the public view, and this keeps it that way.
export function publicTicket(t) {
  return {
    id: t.id,
    label: t.label,
    service: t.service,
    agency: t.agency,
    counter: t.counter,
    state: t.state,
    day: t.day,
    called_at: t.called_at,
  };
}

export class Board {
  constructor() {
    this.seq = 0; // the last event applied; sent as last_seq on reconnect
    this.day = null;
    this.runningText = null;
    this.dayClosed = false; // the supervisor closed today: the board says so instead of "no calls yet"
    this.dayClosedReason = null; // and why, where they said it ("Gangguan listrik")
    this.counters = new Map(); // counter id -> { state, ticket }
    this.waiting = new Map(); // ticket id -> service id, for tickets waiting now
    this.calls = []; // newest first, one entry per ticket: { seq, at, ticket, recall, live, announcement }
    this.version = 0; // bumped on every change so the view draws only when something changed
  }

  // A replay after a reconnect can overlap what already arrived; those events are skipped.
  isNew(message) {
    return Number.isInteger(message.seq) && message.seq > this.seq;
  }

  // keep: when the snapshot was asked for because the screen's scope changed (site.configured), a test of the
  // calls already on the board that still belong to it; they stay (with what the snapshot adds), so the history a
  // hall has watched does not shrink to the snapshot's ten.
  loadSnapshot(message, keep = null) {
    const data = message.data || {};
    const kept = keep && (data.day ?? null) === this.day ? this.calls.filter(keep) : [];
    this.seq = message.seq; // may go down: a server on a fresh database starts again from 0
    this.day = data.day ?? null;
    this.dayClosed = Boolean(data.day_closed);
    this.dayClosedReason = data.day_closed_reason || null;
    if (typeof data.running_text === "string") this.runningText = data.running_text;
    this.counters.clear();
    for (const c of data.counters || []) {
      this.counters.set(c.id, { state: c.state, ticket: c.ticket ? publicTicket(c.ticket) : null });
    }
    this.waiting.clear();
    for (const t of data.tickets || []) if (t.state === "waiting") this.waiting.set(t.id, t.service);
    this.calls = (data.recent_calls || []).slice(0, HISTORY_LIMIT).map((t) => ({
      seq: null,
      at: t.called_at,
      ticket: publicTicket(t),
      recall: t.recalls > 0,
      live: false,
      announcement: null,
    }));
    if (kept.length) {
      const known = new Set(kept.map((c) => c.ticket.id));
      const added = this.calls.filter((c) => !known.has(c.ticket.id));
      // Newest first by the time of the call (the same site offset everywhere, so the ISO strings sort as times).
      this.calls = [...kept, ...added]
        .sort((a, b) => String(b.at).localeCompare(String(a.at)))
        .slice(0, HISTORY_LIMIT);
    }
    this.version++;
  }

  // Applies one event; returns the call it made (to announce and report) or null.
  apply(message) {
    const data = message.data || {};
    this.seq = message.seq;
    for (const key of ["ticket", "new_ticket"]) if (data[key]) this.#track(publicTicket(data[key]));
    if (data.counter) this.#setCounter(data.counter, data.ticket);
    if (message.type === "day.closed") {
      this.calls = [];
      this.dayClosed = data.day === this.day || this.day === null;
      if (this.dayClosed) this.dayClosedReason = data.reason || null;
    }
    if (message.type === "day.reopened") this.dayClosed = false;
    if (message.type === "site.running_text" && typeof data.text === "string") this.runningText = data.text;
    this.version++;
    if (!ANNOUNCED.has(message.type) || !data.ticket) return null;
    const call = {
      seq: message.seq,
      at: message.at,
      ticket: publicTicket(data.ticket),
      recall: message.type === "ticket.recalled",
      live: true,
      announcement: data.announcement || null,
    };
    // One entry per ticket: a recall moves it back to the top.
    this.calls = [call, ...this.calls.filter((c) => c.ticket.id !== call.ticket.id)].slice(0, HISTORY_LIMIT);
    return call;
  }

  waitingByService() {
    const counts = new Map();
    for (const service of this.waiting.values()) counts.set(service, (counts.get(service) || 0) + 1);
    return counts;
  }

  #track(ticket) {
    if (ticket.day && this.day && ticket.day > this.day) {
      this.day = ticket.day; // a new service day: yesterday's calls are no longer news
      this.calls = [];
      this.dayClosed = false;
    }
    if (ticket.state === "waiting") this.waiting.set(ticket.id, ticket.service);
    else this.waiting.delete(ticket.id);
    for (const c of this.counters.values()) {
      if (c.ticket?.id === ticket.id) c.ticket = AT_COUNTER.has(ticket.state) ? ticket : null;
    }
  }

  #setCounter(counter, ticket) {
    const old = this.counters.get(counter.id);
    let current = null;
    if (counter.current && ticket?.id === counter.current) current = publicTicket(ticket);
    else if (counter.current && old?.ticket?.id === counter.current) current = old.ticket;
    this.counters.set(counter.id, { state: counter.state, ticket: current });
  }
}

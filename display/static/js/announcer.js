// Speaks the calls on a speaker screen: in order, one at a time, never cutting one off. Each call's WAV (chime and
// words, built by the server) is fetched ahead, so calls follow each other without a gap. While the browser blocks
// sound, calls wait at the head of the queue until a tap unblocks it. The caption shows the words while they are
// spoken, with the ticket's printed label.
//
// A busy hall (docs/display.md, "Speaker and silent screens"): when three or more calls wait behind the one about to
// be said, the calls are said in their brief form ("F dua, ke loket enam": no chime, no "nomor antrean ... silakan
// menuju"), once each, one after the other: the first of such a run keeps its chime and full sentence (the hall
// turns its head once), the run goes on while anything waits, and the call that ends it (nothing behind it) is said
// in full again, as often as the site says. Nine calls in four seconds are all heard in about half a minute, not
// in more than a minute.

import { audioAllowed } from "./audio_probe.js";

const NEXT_GAP_MS = 400; // between two calls
const BRIEF_GAP_MS = 600; // between two brief calls: each short call stands apart from the next
const REPEAT_GAP_MS = 700; // between two repeats of one call
// With this many calls waiting behind it (counters opening together at the start of the day), a call is said once
// whatever the site's repeat, and the run of brief calls begins.
const BUSY_BEHIND = 3;
const RUN_GAP_MS = 3000; // a call starting within this of the previous one's end belongs to the same run
const STALE_MS = 5 * 60_000; // a call older than this (a long outage, sound blocked for long) is shown, not spoken
const MAX_PENDING = 120; // about ten minutes of speech; beyond it the hall is hopelessly behind
const STALL_MS = 15_000; // playback that makes no progress this long has failed
const CAPTION_ONLY_MS = 5000; // a call whose sound cannot be fetched is at least captioned
const LOG_LIMIT = 200;
const FETCH_TRIES = 3;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function fetchSound(url) {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, { credentials: "omit" });
      if (response.ok) return URL.createObjectURL(await response.blob());
      if (response.status < 500 || attempt >= FETCH_TRIES) throw new Error(`${url}: HTTP ${response.status}`);
    } catch (err) {
      if (attempt >= FETCH_TRIES) throw err;
    }
    await sleep(500 * 3 ** (attempt - 1));
  }
}

// How the next call is said: "brief" (in a run, see above) or "full" (`times` over: the site's repeat, or once when
// the hall is busy). `behind`: calls waiting after it; `recent`: the previous call ended moments ago; `inRun`: the
// previous call was a brief one.
export function formOf(item, behind, recent, inRun) {
  if (item.brief && recent && (behind >= BUSY_BEHIND || (inRun && behind > 0))) return { brief: true, times: 1 };
  return { brief: false, times: behind >= BUSY_BEHIND ? 1 : item.repeat };
}

export class Announcer {
  #queue = [];
  #current = null;
  #running = false;
  #ready;
  #lastEnd = -Infinity; // when the previous call ended (performance.now())
  #inRun = false; // the previous call was said in its brief form
  #currentBrief = false; // the one being said is

  // log: where each playback's { seq, label, form, start, end } goes (window.__announcements, for tests and
  // support). onCaption(item | null): the call being said, its words in item.text. onSpeaking(item | null): the same,
  // so the board can show and mark it (a burst's third call is no longer the newest one on screen).
  constructor({ speaker, onState, onCaption, onSpeaking = () => {}, now = Date.now, log = [] }) {
    Object.assign(this, { onState, onCaption, onSpeaking, now, log });
    this.audio = new Audio();
    this.audio.preload = "auto";
    this.state = speaker ? "unknown" : "off";
    this.#ready = speaker ? this.#probe() : Promise.resolve();
  }

  get pending() {
    return this.#queue.length;
  }

  // The calls waiting to be said (the one being said first), for support and tests.
  get waiting() {
    return this.#queue.map(({ seq, label, recall }) => ({ seq, label, recall: Boolean(recall) }));
  }

  // item: { seq, ticket, label, counter, url, text, brief: { url, text } | null, repeat, at, recall }.
  // A call of a ticket whose earlier call still waits to be said takes that one's place: a recall leaves it as it is
  // (the hall has not heard the number yet: it is said once, there, in the first call's words), a new call of the
  // ticket (another counter) replaces it there. A recall of a call already said is said next, after the one being
  // said: the operator is waiting for that citizen now.
  enqueue(item) {
    if (this.state === "off" || !item.url) return;
    const queued = { ...item, repeat: Math.max(1, Math.min(3, item.repeat || 1)), atMs: Date.parse(item.at) };
    const at = item.ticket ? this.#queue.findIndex((q) => q !== this.#current && q.ticket === item.ticket) : -1;
    if (at >= 0) {
      if (item.recall) return;
      this.#release(this.#queue[at]);
      this.#queue[at] = queued;
    } else if (item.recall) {
      this.#queue.splice(this.#current ? 1 : 0, 0, queued);
    } else {
      this.#queue.push(queued);
    }
    this.#prune();
    this.#prefetch();
    this.#run();
  }

  // The ticket is no longer called (its citizen reached the counter, it was finished, skipped, moved or cancelled):
  // its calls still waiting to be said are dropped, the one being said is finished. After an outage the events
  // replayed would otherwise make the hall hear tickets served minutes ago.
  forget(ticket) {
    const keep = this.#queue.filter((item) => item === this.#current || item.ticket !== ticket);
    for (const item of this.#queue) if (!keep.includes(item)) this.#release(item);
    this.#queue = keep;
  }

  // Called from a tap or a key press: from now on the browser lets this page play sound.
  unlock() {
    if (this.state !== "blocked") return;
    this.#setState("ready");
    this.#run();
  }

  async #probe() {
    this.#setState((await audioAllowed()) ? "ready" : "blocked");
  }

  #setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  async #run() {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#ready;
      while (this.state === "ready") {
        this.#prune();
        const item = this.#queue[0];
        if (!item) break;
        this.#current = item;
        const form = formOf(item, this.#queue.length - 1, performance.now() - this.#lastEnd < RUN_GAP_MS, this.#inRun);
        this.#currentBrief = form.brief;
        this.#load(item, form.brief);
        this.#prefetch(); // the next one, in the form it will likely have, while this one plays
        const result = await this.#speak(item, form);
        this.#current = null;
        if (result === "blocked") {
          this.#setState("blocked"); // the call stays first in line
          break;
        }
        this.#queue.shift();
        this.#release(item);
        this.#lastEnd = performance.now();
        this.#inRun = form.brief;
        await sleep(form.brief ? BRIEF_GAP_MS : NEXT_GAP_MS);
      }
    } finally {
      this.#current = null;
      this.#running = false;
    }
  }

  async #speak(item, form) {
    const shown = { ...item, text: (form.brief && item.brief?.text) || item.text };
    this.onSpeaking(item);
    let src;
    try {
      src = await this.#load(item, form.brief);
    } catch (err) {
      console.warn("announcement sound unavailable", item.label, err);
      this.onCaption(shown);
      await sleep(CAPTION_ONLY_MS);
      this.onCaption(null);
      this.onSpeaking(null);
      return "failed";
    }
    this.onCaption(shown);
    try {
      for (let i = 0; i < form.times; i++) {
        if (i > 0) await sleep(REPEAT_GAP_MS);
        const result = await this.#playOnce(src, item, form.brief ? "brief" : "full");
        if (result === "blocked") return "blocked";
        if (result === "error") return "failed";
      }
      return "done";
    } finally {
      this.onCaption(null);
      this.onSpeaking(null);
    }
  }

  #playOnce(src, item, form) {
    const audio = this.audio;
    return new Promise((resolve) => {
      let entry = null;
      let stall = 0;
      const listeners = {
        playing: () => {
          if (entry) return;
          entry = { seq: item.seq, label: item.label, form, start: performance.now(), end: null };
          this.log.push(entry);
          if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
        },
        ended: () => {
          if (entry) entry.end = performance.now();
          finish("done");
        },
        error: () => finish("error"),
        timeupdate: () => watch(),
      };
      const watch = () => {
        clearTimeout(stall);
        stall = setTimeout(() => finish("error"), STALL_MS);
      };
      const finish = (result) => {
        clearTimeout(stall);
        for (const [name, fn] of Object.entries(listeners)) audio.removeEventListener(name, fn);
        if (result !== "done") audio.pause();
        resolve(result);
      };
      for (const [name, fn] of Object.entries(listeners)) audio.addEventListener(name, fn);
      watch();
      audio.src = src;
      audio.play().catch((err) => finish(err?.name === "NotAllowedError" ? "blocked" : "error"));
    });
  }

  // The sound of the call in one of its forms, fetched once.
  #load(item, brief = false) {
    if (!item) return null;
    const url = brief && item.brief?.url ? item.brief.url : item.url;
    item.sources ??= new Map();
    if (!item.sources.has(url)) {
      const src = fetchSound(url);
      src.catch(() => {}); // a failed prefetch is reported when its turn comes
      item.sources.set(url, src);
    }
    return item.sources.get(url);
  }

  // Fetches the first call waiting to be said (behind the one being said) in the form it will likely be said in.
  #prefetch() {
    const playing = Boolean(this.#current);
    const next = this.#queue[playing ? 1 : 0];
    if (!next) return;
    const behind = this.#queue.length - 1 - (playing ? 1 : 0);
    const recent = playing || performance.now() - this.#lastEnd < RUN_GAP_MS;
    this.#load(next, formOf(next, behind, recent, playing ? this.#currentBrief : this.#inRun).brief);
  }

  #release(item) {
    for (const src of item.sources?.values() || []) src.then((url) => URL.revokeObjectURL(url), () => {});
  }

  // Drops calls too old to be worth saying, and the oldest if the hall is far behind; never the one playing.
  #prune() {
    const now = this.now();
    const keep = this.#queue.filter((item) => item === this.#current || !(now - item.atMs > STALE_MS));
    if (keep.length > MAX_PENDING) keep.splice(keep[0] === this.#current ? 1 : 0, keep.length - MAX_PENDING);
    if (keep.length === this.#queue.length) return;
    const kept = new Set(keep);
    for (const item of this.#queue) {
      if (kept.has(item)) continue;
      console.warn("announcement skipped (too late to be useful)", item.label);
      this.#release(item);
    }
    this.#queue = keep;
  }
}

// Speaks the calls on a speaker screen: in order, one at a time, each as often as the site says (once while the
// hall is far behind), never cutting one off. Each call's WAV (chime and words, built by the server) is fetched ahead, so calls follow each other
// without a gap. While the browser blocks sound, calls wait at the head of the queue until a tap unblocks it.
// The caption shows the words while they are spoken.

import { audioAllowed } from "./audio_probe.js";

const NEXT_GAP_MS = 400; // between two calls
const REPEAT_GAP_MS = 700; // between two repeats of one call
// With this many calls waiting behind it (counters opening together at the start of the day), a call is said
// once whatever the site's repeat: the hall hears every number sooner, and a citizen who missed one is recalled.
const BUSY_BEHIND = 3;
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

export class Announcer {
  #queue = [];
  #current = null;
  #running = false;
  #ready;

  // log: where each playback's { seq, label, start, end } goes (window.__announcements, for tests and support).
  // onSpeaking(item | null): the call being said now, so the board can mark it (a burst's third call is no longer
  // the newest one on screen).
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

  // item: { seq, ticket, label, url, text, repeat, at }. A recall of a call still waiting to be said takes its place:
  // the hall hears the number once, not twice in a row.
  enqueue(item) {
    if (this.state === "off" || !item.url) return;
    const queued = { ...item, repeat: Math.max(1, Math.min(3, item.repeat || 1)), atMs: Date.parse(item.at) };
    if (item.ticket) this.forget(item.ticket);
    this.#queue.push(queued);
    this.#prune();
    if (this.#queue.indexOf(queued) <= 1) this.#load(queued); // next in line: fetch it now
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
        this.#load(item);
        this.#load(this.#queue[1]); // fetch the next one while this one plays
        const result = await this.#speak(item);
        this.#current = null;
        if (result === "blocked") {
          this.#setState("blocked"); // the call stays first in line
          break;
        }
        this.#queue.shift();
        this.#release(item);
        await sleep(NEXT_GAP_MS);
      }
    } finally {
      this.#current = null;
      this.#running = false;
    }
  }

  async #speak(item) {
    let src;
    try {
      src = await this.#load(item);
    } catch (err) {
      console.warn("announcement sound unavailable", item.label, err);
      this.onCaption(item.text);
      await sleep(CAPTION_ONLY_MS);
      this.onCaption(null);
      return "failed";
    }
    this.onCaption(item.text);
    this.onSpeaking(item);
    const times = this.#queue.length - 1 >= BUSY_BEHIND ? 1 : item.repeat;
    try {
      for (let i = 0; i < times; i++) {
        if (i > 0) await sleep(REPEAT_GAP_MS);
        const result = await this.#playOnce(src, item);
        if (result === "blocked") return "blocked";
        if (result === "error") return "failed";
      }
      return "done";
    } finally {
      this.onCaption(null);
      this.onSpeaking(null);
    }
  }

  #playOnce(src, item) {
    const audio = this.audio;
    return new Promise((resolve) => {
      let entry = null;
      let stall = 0;
      const listeners = {
        playing: () => {
          if (entry) return;
          entry = { seq: item.seq, label: item.label, start: performance.now(), end: null };
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

  #load(item) {
    if (!item) return null;
    if (!item.src) {
      item.src = fetchSound(item.url);
      item.src.catch(() => {}); // a failed prefetch is reported when its turn comes
    }
    return item.src;
  }

  #release(item) {
    item.src?.then((url) => URL.revokeObjectURL(url), () => {});
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

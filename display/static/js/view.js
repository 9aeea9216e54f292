// Draws the board: the newest call, the open counters, the earlier calls and the waiting counts. Elements are made
// once and only their text and visibility change, at most once per animation frame, so a busy day costs little.

import { FittedGrid, pageBounds, pageOf, pages, recentLayout } from "./layout.js";
import { emWidth, labelShape } from "./measure.js";
import { linesInBox, twoLines } from "./wrap.js";

export const RECENT_ROWS = 8;
export const FRESH_MS = 8000; // how long a new call stays highlighted
const TILE_ASPECT = 2.1;
const CHIP_ASPECT = 3.2;
// A few counters (or waiting services) fill their area: one tile takes half of it, two or more all of it; board.css
// caps their texts by the screen's size, so a lone tile's number never outgrows the newest call's.
const MIN_TILE_SLOTS = 2;
const MIN_CHIP_SLOTS = 2;
export const PAGE_MS = 10000; // more counters (or waiting services) than fit readably: shown a page at a time
// The smallest text of the board is 2.5 % of the screen's shorter side (19 px on a 1366x768 TV, 27 px at 1080);
// a tile or chip is never smaller than its smallest text needs (the fractions of board.css).
const TEXT_FLOOR = 0.026; // 2.5 %, and a little room for rounding
const TILE_TEXT = { height: 0.17, width: 0.09 }; // .tile-agency: min(17cqh, 9cqi)
// .chip-name: min(24cqh, 6cqi): a chip at least ~17 floors wide, where a long service name has three lines
const CHIP_TEXT = { height: 0.24, width: 0.06 };
// An earlier call's label is at least 4 % of the screen's height too: on a portrait TV the shorter side made it 2.4 %
// of the height, under half what is read from the back of the hall. How the rows are laid out: js/layout.js.
const ROW_LABEL = 0.04;

function minimum(text) {
  const floor = TEXT_FLOOR * Math.min(innerWidth, innerHeight);
  return () => ({ width: floor / text.width, height: floor / text.height });
}

// A tile is also wide enough for its screen's longest agency name whole at the floor: about 0.58 em a character
// in 90 % of the tile (board.css .tile-agency), "BPJS Ketenagakerjaan" on a 4:3 TV say. Not for its counters' names:
// a long one ("Loket Pelayanan Paspor Kantor Imigrasi Kelas I TPI Pemalang") wraps to two lines in a tile of the usual
// width (TILE_NAME); sized for it, one such name made every tile as wide as the area, one counter a page. And its
// number (.tile-ticket: min(45cqh, 21cqi) for a 6-character label where the name takes two lines, 50cqh on one) is
// at least 4.5 % of the screen's height: sized from the shorter side alone, a portrait TV showed three columns of
// numbers 3.8 % of its height where the agencies' names are short.
const AGENCY_EM = 0.58;
const TILE_NUMBER = { height: 0.45, width: 0.21, screen: 0.045 };
function tileMinimum(view) {
  return () => {
    const floor = TEXT_FLOOR * Math.min(innerWidth, innerHeight);
    const named = (floor * AGENCY_EM * view.agencyChars) / 0.9;
    const number = TILE_NUMBER.screen * innerHeight;
    const edges = 0.005 * Math.min(innerWidth, innerHeight); // the tile's border on both sides (0.25u each)
    return {
      width: Math.max(floor / TILE_TEXT.width, named, number / TILE_NUMBER.width + edges),
      height: Math.max(floor / TILE_TEXT.height, number / TILE_NUMBER.height + edges),
    };
  };
}
// A tile's counter name (board.css .tile-name): at most 20 % of the tile's height on one line, 17 % on each of two
// (the tile gives the name 37 % of its height then), 11 % of its width and 6 % of the screen's shorter side; a line
// at most 90 % of the width.
const TILE_NAME = { height: 0.2, height2: 0.17, width: 0.11, line: 0.9, screen: 0.06 };

// The newest call's counter (board.css .hero-counter): at most 12.5 % of the card's height on one line, 11.2 % on
// each of two, and 7 % of its width; a line at most 96 % of the width; one line at least 4 % of the screen.
const HERO_COUNTER = { height: 0.125, height2: 0.112, width: 0.07, line: 0.96, oneFloor: 0.04 };

function make(tag, className, parent) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  parent?.append(el);
  return el;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// Custom properties restyle the element and everything in it, so they are only written when they change.
function setVar(el, name, value) {
  if (el.style.getPropertyValue(name) !== String(value)) el.style.setProperty(name, value);
}

// A ticket label, with its length for the CSS that keeps long labels (HA-1234) inside their box.
function setLabel(el, label) {
  setText(el, label);
  setVar(el, "--chars", label.length);
  if (el.dataset.label !== label) el.dataset.label = label; // for the blinking copy (board.css)
}

function paint(el, agency) {
  setVar(el, "--agency", agency?.tile || agency?.colour || ""); // tile: darkened where the ink needs it
  setVar(el, "--ink", agency?.ink || "");
}

// Starts the highlight again, and ends it after FRESH_MS. The "is-again" class switches between two identical
// animations: a new animation name restarts it without forcing the browser to lay the page out.
function flash(el) {
  el.classList.add("is-fresh");
  el.classList.toggle("is-again");
  clearTimeout(el.freshTimer);
  el.freshTimer = setTimeout(() => el.classList.remove("is-fresh"), FRESH_MS);
}

export class BoardView {
  #drawn = -1;
  #frame = 0;
  #heroSeq = null;
  // When each grid's page rotation started (the call being said, or else a fresh one, moves the counters' to its
  // counter's page).
  #pagesFrom = { counters: performance.now(), waiting: performance.now() };
  // Each grid's page drawn last: how many items a page held at most, of how many, and the first one shown (#page).
  #pageShown = { counters: { per: 0, count: 0, first: 0 }, waiting: { per: 0, count: 0, first: 0 } };
  #paged = false; // some grid has more than one page: it is drawn again every PAGE_MS
  #speaking = null; // the call being said now: { ticket, counter }
  // A counter's tile flashes once per call (the seq of the call it last flashed for): on the call's arrival while
  // nothing else is being said, or else when its words begin. In a burst the hall then sees one tile flash, the one
  // it hears, and not every new call's tile at once.
  #flashedFor = new Map();
  #flashNext = null; // the counter whose call has just begun to be said and has not flashed for it
  #recentBox = null; // the earlier calls' list: its content box and gap, as last measured
  #heroBox = null; // the newest call's card: its content box, as last measured
  #labelEm = 0; // the widest label of the day in em (bold): the rows of earlier calls are laid out for it
  #tileNameEm = new WeakMap(); // a tile's counter name in em: { one, two } (one line in bold, the wider of two)

  constructor(config, clock) {
    this.config = config;
    this.t = config.text;
    this.clock = clock;
    const $ = (id) => document.getElementById(id);
    this.hero = {
      root: $("hero"),
      label: $("hero-label"),
      counter: $("hero-counter"),
      service: $("hero-service"),
      agency: $("hero-agency"),
      recall: $("hero-recall"),
      closedReason: $("hero-closed-reason"),
    };
    this.counterGrid = $("counter-grid");
    this.countersNone = $("counters-none");
    this.waitingGrid = $("waiting-grid");
    this.waitingNone = $("waiting-none");
    this.tileSizes = new ResizeObserver((entries) => this.#tileLines(entries));
    this.#build();
    new ResizeObserver(([entry]) => {
      this.#heroBox = { width: entry.contentRect.width, height: entry.contentRect.height };
      this.#heroLines();
    }).observe(this.hero.root.querySelector(".hero-card"));
    this.recentList = $("recent-list");
    this.rows = Array.from({ length: RECENT_ROWS }, () => this.#row(this.recentList));
    this.recentShown = RECENT_ROWS;
    this.#fitRecent();
    this.board = null;
    this.counterFit = new FittedGrid(this.counterGrid, TILE_ASPECT, MIN_TILE_SLOTS, tileMinimum(this));
    this.waitingFit = new FittedGrid(this.waitingGrid, CHIP_ASPECT, MIN_CHIP_SLOTS, minimum(CHIP_TEXT));
    this.counterPage = $("counters-page");
    this.waitingPage = $("waiting-page");
    // A new size (a banner came or went, taking or giving back a row above the board) may change how many fit on a
    // page: drawn at once, in the frame of the new size. Drawn on the next frame, one frame showed the old page in
    // the new area, its tiles and chips under their readable size.
    const resized = () => this.#drawNow();
    this.counterFit.onResize = resized;
    this.waitingFit.onResize = resized;
    setInterval(() => this.#paged && this.redraw(), PAGE_MS / 4);
  }

  // As many rows of earlier calls as fit readably, in the form that keeps every label and counter name whole
  // (js/layout.js recentLayout), laid out again when the list's box changes, when a label wider than any before
  // comes (a 4-digit number) and when the counters' names change.
  #fitRecent() {
    new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      this.#recentBox = { width, height, gap: parseFloat(getComputedStyle(this.recentList).rowGap) || 0 };
      this.#layoutRecent();
      this.#drawNow();
    }).observe(this.recentList);
  }

  #layoutRecent() {
    if (!this.#recentBox) return;
    const list = this.recentList;
    const short = Math.min(innerWidth, innerHeight);
    const fit = recentLayout({
      box: this.#recentBox,
      screen: { width: innerWidth, height: innerHeight },
      ems: {
        label: Math.max(this.#labelEm, this.prefixEm),
        counter: this.counterEm,
        time: emWidth(this.clock.timeText(0).replace(/[0-9]/g, "0")), // "00.00", "00:00" in English
        arrow: emWidth("→"),
      },
      floor: TEXT_FLOOR * short,
      labelMin: ROW_LABEL * innerHeight,
      max: RECENT_ROWS,
    });
    this.recentFit = fit; // for support: window.__display.view.recentFit
    this.recentShown = fit.shown;
    list.dataset.form = fit.form;
    list.dataset.cols = String(fit.cols);
    list.dataset.lines = String(fit.lines); // the counters' names on one line or two (board.css)
    setVar(list, "--rows", fit.rows);
    setVar(list, "--cols", fit.cols);
    for (const [name, px] of Object.entries(fit.sizes)) setVar(list, `--row-${name}`, `${px.toFixed(2)}px`);
  }

  // The widest label of the day: the 3-digit label of every service of the screen (so the layout does not change
  // when the first "HA-001" comes) and every call the board holds (a 4-digit number).
  #widestLabel(calls) {
    let em = this.prefixEm;
    for (const call of calls) em = Math.max(em, emWidth(labelShape(call.ticket.label), "bold"));
    return em;
  }

  redraw() {
    this.#drawn = -1;
    if (this.board) this.schedule(this.board);
  }

  #drawNow() {
    this.#drawn = -1;
    if (!this.board) return;
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.draw();
  }

  // The page of `count` items of a grid to show now, each page PAGE_MS in turn: [first, end), "2/3" (or "") and the
  // largest page's size. Pages are as even as they go (js/layout.js pages): 11 counters at 9 a page are 6 and 5.
  #page(grid, count, per, focus = -1) {
    const { n, size } = pages(count, per);
    if (n > 1) this.#paged = true;
    const now = performance.now();
    const last = this.#pageShown[grid];
    if (focus >= 0 && n > 1) {
      // the counter of a new call, or of the call being said, is shown at once: its page starts now
      this.#pagesFrom[grid] = now - pageOf(count, per, focus) * PAGE_MS;
    } else if (last.per && (per !== last.per || count !== last.count) && n > 1) {
      // Pages of another size (the area grew or shrank, or items came or went): the page shown now is the one with
      // the item that came first on screen, for the rest of its ten seconds. Counted from the time alone, the board
      // jumped to another page ("4/7" became "4/14", other services) when the sound banner took a row of its own.
      const into = (now - this.#pagesFrom[grid]) % PAGE_MS;
      this.#pagesFrom[grid] = now - pageOf(count, per, Math.min(last.first, count - 1)) * PAGE_MS - into;
    }
    const page = Math.floor((now - this.#pagesFrom[grid]) / PAGE_MS) % n;
    const { first, end } = pageBounds(count, per, page);
    this.#pageShown[grid] = { per, count, first };
    return { first, end, size, label: n > 1 ? `${page + 1}/${n}` : "" };
  }

  // A new catalogue (the site's configuration changed): the tiles and chips are made again from it, with the new
  // names and colours, and everything is drawn again on the next frame. The board's state is left as it is.
  reconfigure(config) {
    this.config = config;
    this.t = config.text;
    for (const tile of this.tiles.values()) {
      this.tileSizes.unobserve(tile.root);
      tile.root.remove();
    }
    for (const chip of this.chips.values()) chip.root.remove();
    this.#build();
    this.#labelEm = 0; // measured again at the next drawing, with the new services' prefixes
    this.#drawn = -1;
    if (this.board) this.schedule(this.board);
  }

  #build() {
    const { counters, services } = this.config.scope;
    // An id the catalogue no longer names gets no tile rather than breaking the board.
    this.tiles = new Map(counters.filter((id) => this.config.counters[id]).map((id) => [id, this.#tile(id)]));
    const agencies = [...this.tiles.keys()].map((id) => this.config.agencies[this.config.counters[id].agency]);
    this.agencyChars = Math.max(1, ...agencies.map((a) => (a?.short_name || "").length));
    // the longest counter's name, in the tiles' bold heading and in the earlier calls' rows
    const names = [...this.tiles.keys()].map((id) => this.counterName(id));
    this.counterEm = {
      one: Math.max(1, ...names.map((name) => emWidth(name))),
      two: Math.max(1, ...names.map((name) => twoLines(name, "normal"))),
    };
    this.chips = new Map(services.filter((id) => this.config.services[id]).map((id) => [id, this.#chip(id)]));
    const prefixes = services.map((id) => this.config.services[id]?.prefix).filter(Boolean);
    this.prefixEm = Math.max(1, ...prefixes.map((prefix) => emWidth(labelShape(`${prefix}-000`), "bold")));
  }

  // Draws on the next frame; many events in one frame (a replay) cost one drawing.
  schedule(board) {
    this.board = board;
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.#frame = 0;
    const board = this.board;
    if (!board || board.version === this.#drawn) return;
    this.#drawn = board.version;
    document.body.classList.toggle("day-closed", board.dayClosed);
    const reason = board.dayClosed ? board.dayClosedReason : null; // why, where the supervisor said it
    this.hero.closedReason.hidden = !reason;
    this.hero.closedReason.textContent = reason ? (this.t.day_closed_reason || "{reason}").replace("{reason}", () => reason) : "";
    this.#paged = false;
    const fresh = this.#drawHero(board.calls[0]);
    this.#drawCounters(board, fresh);
    const labelEm = this.#widestLabel(board.calls);
    if (labelEm !== this.#labelEm) {
      this.#labelEm = labelEm;
      this.#layoutRecent(); // in this frame: its rows are drawn below
    }
    this.#drawRecent(board.calls);
    this.#drawWaiting(board.waitingByService());
  }

  // The call being said now ({ ticket, counter }), or null. In a burst the hero already shows a later call, so while
  // it is said its row of earlier calls is shown (in the last row if it is older than the rows shown) and marked,
  // and the counters' page is the one with its counter, marked too: a citizen who cannot hear finds the number and
  // the counter the hall hears.
  speaking(item) {
    this.#speaking = item ? { ticket: item.ticket, counter: item.counter } : null;
    if (item && this.#flashedFor.get(item.counter) !== item.seq) {
      this.#flashedFor.set(item.counter, item.seq);
      this.#flashNext = item.counter;
    }
    this.redraw();
  }

  counterName(id) {
    return this.config.counters[id]?.name || `${this.t.counter_fallback || "Loket"} ${id}`;
  }

  // The counter as the hero names it: with its floor on a screen over several floors ("Loket 9 · Lantai 2").
  whereOf(id) {
    const zone = this.config.multi_floor ? this.config.counters[id]?.zone : null;
    return zone ? `${this.counterName(id)} · ${zone}` : this.counterName(id);
  }

  // Returns the call when it is new and live (so its counter flashes too).
  #drawHero(call) {
    const h = this.hero;
    h.root.classList.toggle("is-empty", !call);
    if (!call) return null;
    const ticket = call.ticket;
    const service = this.config.services[ticket.service];
    const agency = this.config.agencies[ticket.agency];
    setLabel(h.label, ticket.label);
    const where = this.whereOf(ticket.counter);
    if (h.counter.textContent !== where) {
      setText(h.counter, where);
      // board.css fits it whole in the card, on one line (--em: its width in em) or two (--em2: the wider of its two
      // lines, broken where they are most even)
      this.heroEm = { one: emWidth(where, "bold"), two: twoLines(where) };
      setVar(h.counter, "--em", this.heroEm.one.toFixed(3));
      setVar(h.counter, "--em2", this.heroEm.two.toFixed(3));
      this.#heroLines();
    }
    setText(h.service, service?.name || ticket.service);
    setText(h.agency, agency?.short_name || ticket.agency);
    h.recall.hidden = !call.recall;
    paint(h.root, agency);
    const fresh = call.live && call.seq !== this.#heroSeq;
    this.#heroSeq = call.seq;
    if (fresh) flash(h.root);
    return fresh ? call : null;
  }

  // One line or two for the newest call's counter: the counter is where the citizen must walk, so a name too long
  // for one line at the card's full size wraps to two when that draws it larger than one smaller line would (then
  // shrinks to the board's floor, and only a name longer still ends with "…"). The card gives the two lines room
  // (board.css .hero[data-lines="2"]). The sizes here are board.css's, in px of the card's content box.
  #heroLines() {
    if (!this.#heroBox || !this.heroEm) return;
    const oneFloor = HERO_COUNTER.oneFloor * Math.min(innerWidth, innerHeight);
    const lines = String(linesInBox(this.#heroBox, this.heroEm, HERO_COUNTER, oneFloor));
    if (this.hero.root.dataset.lines !== lines) this.hero.root.dataset.lines = lines;
  }

  // One line or two for each tile's counter name, by the same rule as the newest call's, whenever a tile's size
  // changes (a tile hidden on another page has none). board.css gives a name of two lines 37 % of the tile.
  #tileLines(entries) {
    const short = Math.min(innerWidth, innerHeight);
    const shares = { ...TILE_NAME, cap: TILE_NAME.screen * short };
    for (const { target, contentRect } of entries) {
      const em = this.#tileNameEm.get(target);
      if (!contentRect.width || !em) continue;
      const lines = String(linesInBox(contentRect, em, shares, TEXT_FLOOR * short));
      if (target.dataset.lines !== lines) target.dataset.lines = lines;
    }
  }

  #drawCounters(board, fresh) {
    const open = [...this.tiles.keys()].filter((id) => {
      const status = board.counters.get(id);
      return Boolean(status) && status.state !== "closed";
    });
    const per = this.counterFit.capacity(open.length);
    // the page of the counter of the call being said, or else of a fresh call's counter
    const said = this.#speaking ? open.indexOf(this.#speaking.counter) : -1;
    const focus = said >= 0 ? said : fresh ? open.indexOf(fresh.ticket.counter) : -1;
    const page = this.#page("counters", open.length, per, focus);
    const shown = new Set(open.slice(page.first, page.end));
    // a new call's tile flashes now, unless another call is being said: it will when its own words begin
    const arrived = fresh && !this.#speaking ? fresh.ticket.counter : null;
    if (arrived) this.#flashedFor.set(arrived, fresh.seq);
    const begun = this.#flashNext;
    this.#flashNext = null;
    setText(this.counterPage, page.label);
    for (const [id, tile] of this.tiles) {
      const status = board.counters.get(id);
      tile.root.hidden = !shown.has(id);
      if (!shown.has(id)) continue;
      const paused = status.state === "paused";
      const idle = !paused && !status.ticket;
      tile.root.classList.toggle("is-paused", paused);
      tile.root.classList.toggle("is-idle", idle);
      tile.root.classList.toggle("is-speaking", this.#speaking?.counter === id);
      setLabel(tile.ticket, paused ? this.t.counter_paused : idle ? this.t.counter_idle : status.ticket.label);
      if (id === arrived || id === begun) flash(tile.root);
    }
    this.countersNone.hidden = open.length > 0 || board.dayClosed; // "not open yet" reads wrong once the day is over
    this.counterFit.show([...shown].map((id) => this.tiles.get(id).root), page.size);
  }

  #drawRecent(calls) {
    const shown = calls.slice(1, 1 + this.recentShown); // calls[0] is the hero
    const said = this.#speaking ? calls.findIndex((c) => c.ticket.id === this.#speaking.ticket) : -1;
    if (said > this.recentShown) shown[this.recentShown - 1] = calls[said]; // older than the rows shown: the last row
    this.rows.forEach((row, i) => {
      row.root.hidden = i >= this.recentShown;
      const call = shown[i];
      row.root.classList.toggle("is-blank", !call);
      row.root.classList.toggle("is-speaking", Boolean(call) && call.ticket.id === this.#speaking?.ticket);
      if (!call) return;
      paint(row.root, this.config.agencies[call.ticket.agency]);
      setText(row.label, call.ticket.label);
      setText(row.counter, this.counterName(call.ticket.counter));
      setText(row.time, this.clock.timeOf(call.at));
    });
  }

  #drawWaiting(counts) {
    const waiting = [...this.chips.keys()].filter((id) => (counts.get(id) || 0) > 0);
    const page = this.#page("waiting", waiting.length, this.waitingFit.capacity(waiting.length));
    const shown = new Set(waiting.slice(page.first, page.end));
    setText(this.waitingPage, page.label);
    for (const [id, chip] of this.chips) {
      chip.root.hidden = !shown.has(id);
      if (shown.has(id)) setText(chip.count, String(counts.get(id)));
    }
    this.waitingNone.hidden = waiting.length > 0;
    this.waitingFit.show([...shown].map((id) => this.chips.get(id).root), page.size);
  }

  #tile(id) {
    const counter = this.config.counters[id];
    const agency = this.config.agencies[counter.agency];
    const root = make("div", "tile", this.counterGrid);
    root.hidden = true;
    root.dataset.counter = id;
    paint(root, agency);
    const name = make("span", "", make("div", "tile-name", root));
    name.textContent = counter.name;
    // board.css fits it whole, on one line (--em: its width in em, bold) or two (--em2: the wider of its two lines,
    // in regular weight)
    const em = { one: emWidth(counter.name, "bold"), two: twoLines(counter.name, "normal") };
    this.#tileNameEm.set(root, em);
    setVar(name.parentElement, "--em", em.one.toFixed(3));
    setVar(name.parentElement, "--em2", em.two.toFixed(3));
    this.tileSizes.observe(root);
    const ticket = make("div", "tile-ticket", root);
    const agencyLine = make("div", "tile-agency", root);
    agencyLine.textContent = agency?.short_name || "";
    setVar(agencyLine, "--chars", String(agencyLine.textContent.length || 1)); // board.css fits a long name whole
    return { root, ticket };
  }

  #chip(id) {
    const service = this.config.services[id];
    const root = make("div", "chip", this.waitingGrid);
    root.hidden = true;
    root.dataset.service = id;
    paint(root, this.config.agencies[service.agency]);
    make("span", "chip-prefix", root).textContent = service.prefix;
    make("span", "chip-name", root).textContent = service.name;
    return { root, count: make("span", "chip-count", root) };
  }

  #row(list) {
    const root = make("li", "recent-row is-blank", list);
    const label = make("span", "recent-label", root);
    make("span", "recent-arrow", root).textContent = "→";
    return { root, label, counter: make("span", "recent-counter", root), time: make("span", "recent-time", root) };
  }
}

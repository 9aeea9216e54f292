import { lineCount } from "./wrap.js";

// Fits n tiles into a box: the column count that gives tiles of about the wanted shape the largest size. Used for
// the counters and the waiting counts, so 3 open counters and 26 open counters both fill the area legibly.

export function fitGrid(n, width, height, aspect, gap = 0) {
  let best = { cols: 1, rows: Math.max(1, n), size: -1 };
  if (n <= 0 || width <= 0 || height <= 0) return best;
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const w = (width - gap * (cols - 1)) / cols;
    const h = (height - gap * (rows - 1)) / rows;
    const size = Math.min(w, h * aspect); // width of the largest tile of that shape in one cell
    if (size > best.size) best = { cols, rows, size };
  }
  return best;
}

// How many of n tiles fit on one page with each tile at least minWidth x minHeight (the size at which the tile's
// smallest text is still readable across the hall); at least 1.
export function perPage(n, width, height, aspect, gap, minWidth, minHeight) {
  for (let k = n; k > 1; k--) {
    const { cols, rows } = fitGrid(k, width, height, aspect, gap);
    const w = (width - gap * (cols - 1)) / cols;
    const h = (height - gap * (rows - 1)) / rows;
    if (w >= minWidth && h >= minHeight) return k;
  }
  return 1;
}

// Pages of `count` items with at most `per` on a page, as even as they go: 11 at 9 a page are 6 and 5, not 9 and 2
// (a page of two looked like a hall with two counters open). The first pages take the one more where they differ.
export function pages(count, per) {
  const n = Math.max(1, Math.ceil(count / Math.max(1, per)));
  return { n, size: Math.ceil(count / n), small: Math.floor(count / n), big: count % n };
}

// Page `page`'s items: [first, end).
export function pageBounds(count, per, page) {
  const { small, big } = pages(count, per);
  const first = page * small + Math.min(page, big);
  return { first, end: first + small + (page < big ? 1 : 0) };
}

// The page that holds item `index`.
export function pageOf(count, per, index) {
  const { small, big } = pages(count, per);
  const bigItems = big * (small + 1);
  return index < bigItems ? Math.floor(index / (small + 1)) : big + Math.floor((index - bigItems) / small);
}

// Keeps --cols/--rows of a grid element right for its item count and size. It only measures when the grid is
// resized (ResizeObserver) and only writes when the answer changes: custom properties restyle every tile below.
export class FittedGrid {
  #size = null;
  #shown = "";
  #cols = 1;
  #tiles = [];
  #slots = 0;
  #spanned = null;

  // minSlots keeps a few tiles from growing to absurd sizes; minTile() gives the smallest readable tile (px), so
  // that more tiles than fit are shown a page at a time rather than shrunk (capacity()).
  constructor(grid, aspect, minSlots, minTile = () => ({ width: 0, height: 0 })) {
    Object.assign(this, { grid, aspect, minSlots, minTile });
    new ResizeObserver(([entry]) => {
      const gap = parseFloat(getComputedStyle(grid).rowGap) || 0;
      this.#size = { width: entry.contentRect.width, height: entry.contentRect.height, gap };
      this.#apply();
      this.onResize?.();
    }).observe(grid);
  }

  // How many of n tiles one page shows (n itself until the grid has been measured).
  capacity(n) {
    if (!this.#size || n <= 1) return Math.max(1, n);
    const { width, height, gap } = this.#size;
    const min = this.minTile();
    return perPage(n, width, height, this.aspect, gap, min.width, min.height);
  }

  // The tiles shown now, in order: sizes the grid for them, and the last one spans what its row leaves empty (3
  // counters in a 2x2 grid: the third is as wide as two), so a few tiles fill their area.
  // slots: the largest page's count, so that every page of a list lays its tiles out alike (6 and 5: two rows of three,
  // the fifth tile as wide as two), whatever this page holds.
  show(tiles, slots = tiles.length) {
    const resized = tiles.length !== this.#tiles.length || slots !== this.#slots;
    this.#tiles = tiles;
    this.#slots = Math.max(slots, tiles.length);
    if (resized) this.#apply();
    this.#spanLast();
  }

  #spanLast() {
    const last = this.#tiles.at(-1) || null;
    const rest = this.#tiles.length % this.#cols;
    const span = last && rest ? this.#cols - rest + 1 : 1;
    if (this.#spanned && this.#spanned !== last) {
      this.#spanned.style.gridColumn = "";
      this.#spanned.style.removeProperty("--span");
    }
    this.#spanned = span > 1 ? last : null;
    if (!last) return;
    last.style.gridColumn = span > 1 ? `span ${span}` : "";
    // --span: how many columns it covers, so a chip keeps a single chip's proportions inside (board.css)
    if (span > 1) last.style.setProperty("--span", span);
    else last.style.removeProperty("--span");
  }

  #apply() {
    if (!this.#size) return;
    const { width, height, gap } = this.#size;
    // A few tiles do not grow absurdly large, nor are they made smaller than readable to leave room for more.
    const slots = Math.max(this.#slots, Math.min(this.minSlots, this.capacity(this.minSlots)));
    const { cols, rows } = fitGrid(slots, width, height, this.aspect, gap);
    const shown = `${cols}x${rows}`;
    if (shown === this.#shown) return;
    this.#shown = shown;
    this.#cols = cols;
    this.#spanLast();
    this.grid.style.setProperty("--cols", cols);
    this.grid.style.setProperty("--rows", rows);
  }
}

// The earlier calls' rows. A row is in one of three forms:
//   "line"   one column, one line: the label, an arrow, the counter, the time (a landscape TV);
//   "beside" two columns (a portrait TV): the label, and beside it the counter over the time;
//   "under"  two columns (a portrait TV whose labels or counters' names are long: "HA-1234", "Loket 12 Imigrasi"):
//            the label, and under it the counter and the time on one line.
// A label is at least 4 % of the screen's height, every other text at least the board's floor, and the counter's
// name whole: the form that shows the most calls that way is taken (on a portrait TV; a landscape one has room for
// the line). Sizes follow from the list's box and the widths of the longest texts in em (the longest label of the
// day and the longest counter's name of the screen, measured in their fonts), so the layout adapts to them instead
// of cutting a counter's name where a label is long.
//
// A counter's name too long for one line wraps to two, by the newest call's rule (js/wrap.js), in every form.
//
// box: the list's content box and its gap; screen: the viewport; ems: { label, counter: { one, two }, time, arrow }
// in em (counter: the longest name on one line, and the wider of the two lines of the longest on two); floor and
// labelMin in px. Returns { form, cols, rows, shown, fits, lines, sizes } with lines the counter's (1 or 2) and sizes
// in px: label, labelCol, arrow (0: not shown), counter, time, gap (between a row's columns), pad (a row's padding at
// each side).
const ROW_PAD = 0.03; // of a row's width, at each side
const ROW_GAP = 0.025; // between a row's columns, of its content width
// Each text's size as a share of the row's height and of its content width (the smaller wins); labelCol: the least
// share of the width the labels' column takes (the counters in line whatever the label); lines: their line height;
// counter2: a line of a counter's name on two (two lines of 1.1 in 88 % of the row's height).
const LINE = {
  label: 0.84, labelWidth: 0.1, labelCol: 0.3, arrow: 0.5, arrowWidth: 0.07,
  counter: 0.56, counter2: 0.4, counterWidth: 0.08, time: 0.5, timeWidth: 0.06,
};
const BESIDE = {
  label: 0.84, labelWidth: 0.165, labelCol: 0.52, counter: 0.4, counterWidth: 0.065, time: 0.34, timeWidth: 0.06,
  lines: 1.1,
};
const UNDER = {
  label: 0.62, labelWidth: 0.165, counter: 0.28, counterWidth: 0.065, time: 0.26, timeWidth: 0.06, lines: 1.15,
};

function rowBox(box, cols, rows, border) {
  const width = (box.width - box.gap * (cols - 1)) / cols;
  const height = (box.height - box.gap * (rows - 1)) / rows;
  const pad = ROW_PAD * width;
  const inner = width - 2 * pad - border;
  return { height, inner, pad, gap: ROW_GAP * inner };
}

// The counter's size and lines in `room` px of width: at most max on one line, max2 on each of two.
function counterFit(max, max2, room, em, floor) {
  const one = room / em.one;
  const two = Math.min(max2, max, room / em.two);
  const lines = lineCount({ full: max, one, two, oneFloor: floor });
  return { counter: lines === 2 ? two : Math.min(max, one), lines };
}

function lineForm(row, ems, floor) {
  const label = Math.min(LINE.label * row.height, LINE.labelWidth * row.inner);
  const labelCol = Math.max(LINE.labelCol * row.inner, ems.label * label);
  const time = Math.max(floor, Math.min(LINE.time * row.height, LINE.timeWidth * row.inner));
  const counterMax = Math.min(LINE.counter * row.height, LINE.counterWidth * row.inner);
  let arrow = Math.min(LINE.arrow * row.height, LINE.arrowWidth * row.inner);
  // the arrow's column stays when it is dropped (empty): three gaps either way
  const room = (withArrow) =>
    row.inner - labelCol - ems.time * time - (withArrow ? ems.arrow * arrow : 0) - 3 * row.gap;
  let fit = counterFit(counterMax, LINE.counter2 * row.height, room(true), ems.counter, floor);
  if (fit.counter < Math.min(counterMax, floor)) {
    arrow = 0; // a narrow row drops the arrow so the counter's name stays whole
    fit = counterFit(counterMax, LINE.counter2 * row.height, room(false), ems.counter, floor);
  }
  return { label, labelCol, arrow, time, ...fit };
}

function besideForm(row, ems, floor) {
  const label = Math.min(BESIDE.label * row.height, BESIDE.labelWidth * row.inner);
  const labelCol = Math.max(BESIDE.labelCol * row.inner, ems.label * label);
  const room = row.inner - labelCol - row.gap;
  const time = Math.max(floor, Math.min(BESIDE.time * row.height, BESIDE.timeWidth * row.inner));
  const max = Math.min(BESIDE.counter * row.height, BESIDE.counterWidth * row.inner);
  const fit = counterFit(max, (row.height / BESIDE.lines - time) / 2, room, ems.counter, floor);
  const tall = BESIDE.lines * (fit.lines * fit.counter + time) <= row.height + 0.5;
  return { label, labelCol, arrow: 0, time, ...fit, whole: ems.time * time <= room && tall };
}

function underForm(row, ems, floor) {
  const label = Math.min(UNDER.label * row.height, UNDER.labelWidth * row.inner, row.inner / ems.label);
  const time = Math.max(floor, Math.min(UNDER.time * row.height, UNDER.timeWidth * row.inner));
  const room = row.inner - row.gap - ems.time * time;
  const max = Math.min(UNDER.counter * row.height, UNDER.counterWidth * row.inner);
  const fit = counterFit(max, (row.height - label) / UNDER.lines / 2, room, ems.counter, floor);
  const tall = label + UNDER.lines * Math.max(fit.lines * fit.counter, time) <= row.height + 0.5;
  return { label, labelCol: row.inner, arrow: 0, time, ...fit, whole: tall };
}

export function recentLayout({ box, screen, ems, floor, labelMin, max }) {
  const border = 0.01 * Math.min(screen.width, screen.height); // the agency's colour at the row's left (1u)
  const layout = (form, cols, rowMin, sizesOf) => {
    const fit = Math.floor((box.height + box.gap) / (rowMin + box.gap)); // rows of at least rowMin in the box
    const shown = Math.max(2, Math.min(max, fit * cols));
    const rows = Math.ceil(shown / cols);
    const row = rowBox(box, cols, rows, border);
    const { whole, lines, ...sizes } = { ...sizesOf(row, ems, floor), gap: row.gap, pad: row.pad };
    const fits = sizes.label >= labelMin - 0.5 && sizes.counter >= floor - 0.5 && whole !== false;
    // A name too long for any form (the line is the last resort) is never drawn under the floor: it ends with "…".
    sizes.counter = Math.max(sizes.counter, floor);
    return { form, cols, rows, shown, fits, lines, sizes };
  };
  // a row of one line: its label at least labelMin (84 % of the row) and its time at the floor (half the row)
  const lineMin = Math.max(floor / LINE.time, labelMin / LINE.label);
  const line = layout("line", 1, lineMin, lineForm);
  if (screen.width >= screen.height || line.shown >= max) return line;
  const beside = layout("beside", 2, lineMin, besideForm);
  const under = layout("under", 2, Math.max(labelMin / UNDER.label, floor / UNDER.counter), underForm);
  // the most calls, whole and readable; of two forms showing as many, the first of these
  const best = [beside, line, under].filter((l) => l.fits).sort((a, b) => b.shown - a.shown)[0];
  return best || line;
}

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

// Keeps --cols/--rows of a grid element right for its item count and size. It only measures when the grid is
// resized (ResizeObserver) and only writes when the answer changes: custom properties restyle every tile below.
export class FittedGrid {
  #size = null;
  #shown = "";
  #cols = 1;
  #tiles = [];
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
  show(tiles) {
    const resized = tiles.length !== this.#tiles.length;
    this.#tiles = tiles;
    if (resized) this.#apply();
    this.#spanLast();
  }

  #spanLast() {
    const last = this.#tiles.at(-1) || null;
    const rest = this.#tiles.length % this.#cols;
    const span = last && rest ? this.#cols - rest + 1 : 1;
    if (this.#spanned && this.#spanned !== last) this.#spanned.style.gridColumn = "";
    this.#spanned = span > 1 ? last : null;
    if (last) last.style.gridColumn = span > 1 ? `span ${span}` : "";
  }

  #apply() {
    if (!this.#size) return;
    const { width, height, gap } = this.#size;
    // A few tiles do not grow absurdly large, nor are they made smaller than readable to leave room for more.
    const slots = Math.max(this.#tiles.length, Math.min(this.minSlots, this.capacity(this.minSlots)));
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

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

// Keeps --cols/--rows of a grid element right for its item count and size. It only measures when the grid is
// resized (ResizeObserver) and only writes when the answer changes: custom properties restyle every tile below.
export class FittedGrid {
  #count = 0;
  #size = null;
  #shown = "";

  // minSlots keeps a few tiles from growing to absurd sizes.
  constructor(grid, aspect, minSlots) {
    Object.assign(this, { grid, aspect, minSlots });
    new ResizeObserver(([entry]) => {
      const gap = parseFloat(getComputedStyle(grid).rowGap) || 0;
      this.#size = { width: entry.contentRect.width, height: entry.contentRect.height, gap };
      this.#apply();
    }).observe(grid);
  }

  set count(n) {
    if (n === this.#count) return;
    this.#count = n;
    this.#apply();
  }

  #apply() {
    if (!this.#size) return;
    const { width, height, gap } = this.#size;
    const { cols, rows } = fitGrid(Math.max(this.#count, this.minSlots), width, height, this.aspect, gap);
    const shown = `${cols}x${rows}`;
    if (shown === this.#shown) return;
    this.#shown = shown;
    this.grid.style.setProperty("--cols", cols);
    this.grid.style.setProperty("--rows", rows);
  }
}

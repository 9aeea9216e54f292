// A table body kept in place across refreshes: one <tr> per key for as long as the page lives, each cell written only
// when what it says changed, and the rows put in their new order with as few moves as possible. A national view of
// 300 malls rebuilt and serialised every row every 5 seconds (80-835 ms of the main thread at a time); a refresh now
// costs what changed. A row's elements stay, so a screen reader's place, a focused link and an open tooltip stay too.
//
// A cell is described as plain data, compared before anything is written:
//   { tag: "td", attrs: { class: "num waiting" }, text: "12" }
//   { tag: "th", attrs: { scope: "row" }, parts: [{ tag: "a", attrs: { href: "..." }, text: "MPP ..." }, ...] }

export class KeyedRows {
  constructor(body, keyAttribute) {
    this.body = body;
    this.keyAttribute = keyAttribute; // the row's data-* attribute holding its key ("site": data-site)
    this.rows = new Map(); // every row made, shown or not: a mall filtered out and back in is not made again
  }

  // The rows of `items`, in their order: `keyOf(item)` its key, `cellsOf(item)` its cells (described as above).
  show(items, keyOf, cellsOf) {
    const focused = this.body.contains(document.activeElement) ? document.activeElement : null;
    const wanted = items.map((item) => {
      const key = keyOf(item);
      let row = this.rows.get(key);
      if (!row) {
        row = document.createElement("tr");
        row.dataset[this.keyAttribute] = key;
        this.rows.set(key, row);
      }
      patchCells(row, cellsOf(item));
      return row;
    });
    placeRows(this.body, wanted);
    if (focused && document.activeElement !== focused) {
      // Moved (its element stays, and takes the focus back) or filtered out (the table's scrolling region has it).
      if (this.body.contains(focused)) focused.focus({ preventScroll: true });
      else this.body.closest("[tabindex]")?.focus({ preventScroll: true });
    }
  }
}

// A row's cells, each written only when its description differs from the one last written.
export function patchCells(row, cells) {
  const said = row.said || (row.said = []);
  cells.forEach((cell, i) => {
    const described = JSON.stringify(cell);
    if (said[i] === described && row.cells[i]) return;
    said[i] = described;
    writeInto(row, row.cells[i], cell);
  });
  while (row.cells.length > cells.length) row.lastElementChild.remove();
  said.length = cells.length;
}

// `node` (a cell or one of its parts, or nothing yet) made to say `spec`: kept when of the same tag, its attributes
// and text written where they differ; replaced otherwise.
function writeInto(parent, node, spec) {
  if (!node || node.localName !== spec.tag) {
    const fresh = document.createElement(spec.tag);
    if (node) node.replaceWith(fresh);
    else parent.append(fresh);
    node = fresh;
  }
  setAttributes(node, spec.attrs || {});
  if (spec.parts === undefined) {
    const text = spec.text ?? "";
    if (node.children.length || node.textContent !== text) node.textContent = text;
    return node;
  }
  for (const child of [...node.childNodes]) if (child.nodeType !== Node.ELEMENT_NODE) child.remove();
  spec.parts.forEach((part, j) => writeInto(node, node.children[j], part));
  while (node.children.length > spec.parts.length) node.lastElementChild.remove();
  return node;
}

function setAttributes(node, attrs) {
  for (const name of node.getAttributeNames()) {
    if (name.startsWith("data-") && name !== "data-t") continue; // the row's key, set once
    if (attrs[name] === undefined || attrs[name] === null || attrs[name] === false) node.removeAttribute(name);
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (node.getAttribute(name) !== String(value)) node.setAttribute(name, value);
  }
}

// `body`'s children made `rows`, in that order: those not wanted removed, and of the rest the longest run already
// in order stays where it is while the others move. A sort reversed moves every row; a mall whose queue grew past
// another's moves one.
export function placeRows(body, rows) {
  const wanted = new Set(rows);
  for (const node of [...body.children]) if (!wanted.has(node)) node.remove();
  const place = new Map([...body.children].map((node, i) => [node, i]));
  const staying = longestIncreasing(rows.map((node) => (place.has(node) ? place.get(node) : -1)));
  let next = null;
  for (let i = rows.length - 1; i >= 0; i--) {
    if (!staying.has(i)) body.insertBefore(rows[i], next);
    next = rows[i];
  }
}

// The positions of a longest strictly increasing run of `values` (ignoring the -1s): O(n log n).
function longestIncreasing(values) {
  const tails = []; // tails[k]: the position ending the best run of length k + 1 found so far
  const before = new Array(values.length).fill(-1);
  values.forEach((value, i) => {
    if (value < 0) return;
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (values[tails[middle]] < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) before[i] = tails[low - 1];
    tails[low] = i;
  });
  const run = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = before[i]) run.add(i);
  return run;
}

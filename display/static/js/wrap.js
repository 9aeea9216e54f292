// One line or two for a counter's name: the counter is where the citizen must walk, so a name too long for one line
// at its box's full size wraps to two where that draws it larger than one smaller line would, or where one line
// would fall under its floor (it would end with "…" there); two lines shrink then down to the board's floor, and only
// a name longer still ends with "…" at the end of the second line. The newest call's counter, the counters' tiles
// and the earlier calls' rows all decide so (js/view.js, js/layout.js).

import { emWidth } from "./measure.js";

// The width in em of `text` on two lines broken at the space that makes them most even: the wider line.
export function twoLines(text, weight = "bold") {
  const words = text.split(" ");
  let best = emWidth(text, weight);
  for (let i = 1; i < words.length; i++) {
    const wider = Math.max(emWidth(words.slice(0, i).join(" "), weight), emWidth(words.slice(i).join(" "), weight));
    best = Math.min(best, wider);
  }
  return best;
}

// full: the size (px) the name has when it fits one line; one: the size at which it fills one line; two: the size
// of two lines (at most full); oneFloor: the least size of one line. Returns 1 or 2.
export function lineCount({ full, one, two, oneFloor = 0 }) {
  return one < full && (two > one || one < oneFloor) ? 2 : 1;
}

// The same for a name in a box of width x height px whose CSS sizes it at most height1 (one line) or height2 (each of
// two lines) of the box's height, width of its width (or cap px), and fills line of the width with a line of em
// (one line) or em2 (the wider of two) em.
export function linesInBox(box, em, shares, oneFloor = 0) {
  const full = Math.min(shares.height * box.height, shares.width * box.width, shares.cap ?? Infinity);
  const one = (shares.line * box.width) / em.one;
  const two = Math.min(shares.height2 * box.height, full, (shares.line * box.width) / em.two);
  return lineCount({ full, one, two, oneFloor });
}

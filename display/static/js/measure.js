// Widths of texts in em of the board's font, measured by the browser's own text shaping (a canvas with the page's
// font family): the board fits a counter's name or a ticket's label to its box from them. Counting characters
// guessed, and a label such as "HA-1234" left too little room for the counter's name beside it.

const context = document.createElement("canvas").getContext("2d");
const cache = new Map();
const MARGIN = 1.03; // rounding, and a glyph drawn a little wider in the page than on the canvas

// The width of `text` in em, in the board's font at `weight` ("normal" or "bold").
export function emWidth(text, weight = "normal") {
  const key = `${weight} ${text}`;
  let em = cache.get(key);
  if (em === undefined) {
    if (cache.size > 2000) cache.clear(); // the names of a screen and a few shapes of labels: never near this
    context.font = `${weight} 100px ${getComputedStyle(document.body).fontFamily}`;
    em = (context.measureText(text).width / 100) * MARGIN;
    cache.set(key, em);
  }
  return em;
}

// A ticket's label as wide as any label of its shape ("HA-1234" as "HA-0000"; digits are equally wide), so a day's
// labels are measured a few times, not once each.
export function labelShape(label) {
  return label.replace(/[0-9]/g, "0");
}

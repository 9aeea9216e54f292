// The running text along the bottom. It moves at a steady speed whatever its length (the duration follows the
// width), and it is only restarted when the text or the screen size changes.

const SPEED_U_PER_S = 11; // in --u (1% of the shorter screen side) per second: readable, not sluggish

export class Ticker {
  #text = null;

  constructor(element) {
    this.element = element;
    this.set(element.textContent);
    new ResizeObserver(() => this.#pace()).observe(document.documentElement);
  }

  set(text) {
    if (typeof text !== "string" || text === this.#text) return;
    this.#text = text;
    this.element.textContent = text;
    this.element.parentElement.parentElement.hidden = text.trim() === "";
    this.#pace();
  }

  #pace() {
    const unit = Math.min(window.innerWidth, window.innerHeight) / 100;
    const seconds = this.element.offsetWidth / (unit * SPEED_U_PER_S);
    this.element.style.setProperty("--ticker-seconds", `${Math.max(5, seconds).toFixed(1)}s`);
  }
}

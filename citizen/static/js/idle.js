// Goes back to the start screen when nobody has touched the kiosk for a while, so the next citizen never finds
// someone else's half-finished choice (or ticket) on the screen.

export class IdleTimer {
  #timer = 0;
  #seconds = 60;

  constructor(onIdle) {
    this.onIdle = onIdle;
    for (const type of ["pointerdown", "keydown"]) {
      document.addEventListener(type, () => this.#restart(), { capture: true, passive: true });
    }
  }

  // Watches for `seconds` of no touch; 0 stops watching (the start screen has nothing to undo).
  arm(seconds) {
    this.#seconds = seconds;
    this.#restart();
  }

  #restart() {
    clearTimeout(this.#timer);
    if (this.#seconds > 0) this.#timer = setTimeout(() => this.onIdle(), this.#seconds * 1000);
  }
}

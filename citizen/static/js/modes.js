// Reading aids a citizen switches on: high contrast (white and yellow on black) and large type. On a phone they are
// remembered by the device (localStorage); a kiosk serves everyone, so it forgets them when it goes back to its
// start screen.

const KEY = "mpp.citizen.modes";
const NAMES = ["contrast", "large"];
const CLASSES = { contrast: "hc", large: "lt" };

function stored() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    return {};
  }
}

export class Modes {
  constructor({ remember = true } = {}) {
    this.remember = remember;
    this.on = remember ? stored() : {};
    this.buttons = [...document.querySelectorAll("[data-mode]")];
    for (const button of this.buttons) {
      button.addEventListener("click", () => this.toggle(button.dataset.mode));
    }
    this.apply();
  }

  toggle(name) {
    this.on[name] = !this.on[name];
    if (this.remember) {
      try {
        localStorage.setItem(KEY, JSON.stringify(this.on));
      } catch { /* storage disabled: on for this visit only */ }
    }
    this.apply();
  }

  reset() {
    this.on = {};
    this.apply();
  }

  apply() {
    for (const name of NAMES) document.documentElement.classList.toggle(CLASSES[name], Boolean(this.on[name]));
    for (const button of this.buttons) button.setAttribute("aria-pressed", String(Boolean(this.on[button.dataset.mode])));
  }
}

// Sound and vibration for "your turn". Phones allow sound only after a touch, so the page offers a button that
// unlocks audio once; then a call plays the server's spoken announcement, or a chime made here if there is none
// (or it cannot be played).

export class Alerter {
  #context = null;
  unlocked = false;

  // Must run inside a touch/click handler.
  unlock() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !this.#context) this.#context = new Context();
    this.#context?.resume?.();
    this.unlocked = true;
  }

  async announce(announcement) {
    navigator.vibrate?.([400, 150, 400, 150, 400]);
    if (announcement?.url) {
      try {
        await new Audio(announcement.url).play();
        return "announcement";
      } catch {
        // autoplay refused or no audio device: fall back to the chime
      }
    }
    return this.chime() ? "chime" : "silent";
  }

  // Two tones, like a hall's "ding-dong".
  chime() {
    const context = this.#context;
    if (!context) return false;
    const start = context.currentTime;
    for (const [i, frequency] of [880, 660].entries()) {
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + i * 0.45);
      gain.gain.exponentialRampToValueAtTime(0.4, start + i * 0.45 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.45 + 0.42);
      osc.connect(gain).connect(context.destination);
      osc.start(start + i * 0.45);
      osc.stop(start + i * 0.45 + 0.45);
    }
    return true;
  }
}

// Date and time in the site's time zone, in the screen's language ("Senin, 23 November 2026" and "09.15").
// The TV's own clock may be wrong (a LAN with no internet has no NTP), so the server's time from each welcome
// is taken as the truth and the TV's clock only measures the seconds since.

const LOCALES = { id: "id-ID", en: "en-GB" };

export class SiteClock {
  #offset = 0;
  #tick = () => {};

  constructor(timeZone, lang) {
    const locale = LOCALES[lang] || LOCALES.id;
    this.dateFormat = new Intl.DateTimeFormat(locale, {
      timeZone,
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
    });
    this.timeFormat = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  sync(serverIso) {
    const server = Date.parse(serverIso);
    if (Number.isNaN(server)) return;
    this.#offset = server - Date.now();
    this.#tick();
  }

  now() {
    return Date.now() + this.#offset;
  }

  dateText(ms = this.now()) {
    return this.dateFormat.format(ms);
  }

  timeText(ms = this.now()) {
    return this.timeFormat.format(ms);
  }

  // "Senin, 23 November 2026 09.15"
  text(ms = this.now()) {
    return `${this.dateText(ms)} ${this.timeText(ms)}`;
  }

  // The time of day of an ISO timestamp, e.g. when a ticket was called.
  timeOf(iso) {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? "" : this.timeText(ms);
  }

  // Keeps two elements showing the date and the time, touching the DOM only when the text changes.
  show(dateEl, timeEl) {
    this.#tick = () => {
      const ms = this.now();
      const date = this.dateText(ms);
      const time = this.timeText(ms);
      if (dateEl.textContent !== date) dateEl.textContent = date;
      if (timeEl.textContent !== time) timeEl.textContent = time;
    };
    this.#tick();
    return setInterval(() => this.#tick(), 1000);
  }
}

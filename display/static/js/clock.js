// Date and time in the site's time zone, in the screen's language: "Senin, 23 November 2026" and "09.15" in
// Indonesian (the house's style), "Monday, 23 November 2026" and "09:15" in English (the colon an English reader
// expects, on the same 24-hour clock, the day before the month as in Indonesian). They are put together from the parts
// Intl gives (names of days and months, digits in the site's zone), not left to a locale's pattern: en-GB's changes
// between ICU versions (the comma after the weekday comes and goes) and en-US puts the month first and says "AM".
// The TV's own clock may be wrong (a LAN with no internet has no NTP), so the server's time from each welcome
// is taken as the truth and the TV's clock only measures the seconds since.

const LOCALES = { id: "id-ID", en: "en-GB" };
const TIME_SEPARATOR = { id: ".", en: ":" };

export class SiteClock {
  #offset = 0;
  #tick = () => {};

  constructor(timeZone, lang) {
    const language = LOCALES[lang] ? lang : "id";
    this.separator = TIME_SEPARATOR[language];
    this.dateFormat = new Intl.DateTimeFormat(LOCALES[language], {
      timeZone,
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
    });
    this.timeFormat = new Intl.DateTimeFormat(LOCALES[language], {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
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

  // "Senin, 23 November 2026", "Monday, 23 November 2026"
  dateText(ms = this.now()) {
    const part = parts(this.dateFormat, ms);
    return `${part.weekday}, ${part.day} ${part.month} ${part.year}`;
  }

  // "09.15", "09:15"; "00.05" just after midnight (h23, never "24.05")
  timeText(ms = this.now()) {
    const part = parts(this.timeFormat, ms);
    return `${part.hour}${this.separator}${part.minute}`;
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

function parts(format, ms) {
  return Object.fromEntries(format.formatToParts(ms).map(({ type, value }) => [type, value]));
}

// Sentences in both languages (templates/text.toml, given to the page in its config), Indonesian first.

export class Texts {
  constructor(all, lang = "id") {
    this.all = all;
    this.lang = all[lang] ? lang : "id";
  }

  t(key, values = {}) {
    const text = this.all[this.lang][key] ?? this.all.id[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  // Re-labels every [data-t] element under root (with the values of its data-t-values, JSON, if any), and the
  // priority groups' names.
  apply(root = document) {
    document.documentElement.lang = this.lang;
    for (const el of root.querySelectorAll("[data-t]")) el.textContent = this.t(el.dataset.t, JSON.parse(el.dataset.tValues || "{}"));
    // What a screen reader says of an element without words of its own (the QR, the delete key): in this language.
    for (const el of root.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", this.t(el.dataset.tLabel));
    for (const el of root.querySelectorAll("[data-t-alt]")) el.alt = this.t(el.dataset.tAlt);
    for (const el of root.querySelectorAll("[data-label-id]")) {
      const target = el.querySelector(".k-tile-main") || el;
      target.textContent = this.lang === "en" ? el.dataset.labelEn : el.dataset.labelId;
    }
  }

  // The server's own sentence for a refusal, in the page's language; our own words for a network failure.
  error(error) {
    if (!error || error.code === "network") return this.t("network_error");
    const text = this.lang === "en" ? error.message_en || error.message : error.message || error.message_en;
    return text || this.t("unknown_error");
  }
}

const LOCALES = { id: "id-ID", en: "en-GB" };

// "Senin, 23 November 2026 pukul 07.30" / "Monday, 23 November 2026 at 07:30", in the site's timezone.
export function formatWhen(iso, lang, timeZone) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const date = new Intl.DateTimeFormat(LOCALES[lang], {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone,
  }).format(at);
  return `${date} ${lang === "en" ? "at" : "pukul"} ${formatTime(iso, lang, timeZone)}`;
}

// A calendar date as the API gives it ("2026-12-07"): "Senin, 7 Desember 2026" / "Monday, 7 December 2026" (the same
// wherever the browser is).
export function formatDay(day, lang) {
  const [y, m, d] = String(day).split("-").map(Number);
  return new Intl.DateTimeFormat(LOCALES[lang], {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

// A booking's slot: "Senin, 7 Desember 2026, 08.30–09.00" / "Monday, 7 December 2026, 08:30–09:00".
export function formatSlot(day, slot, end, lang) {
  return `${formatDay(day, lang)}, ${formatRange(slot, end, lang)}`;
}

// A slot's times as the API gives them ("08:30", "09:00"): "08.30–09.00" in Indonesian, "08:30–09:00" in English.
export function formatRange(start, end, lang) {
  const times = end ? `${start}–${end}` : start;
  return lang === "en" ? times : times.replace(/:/g, ".");
}

// 07.30 in Indonesian, 07:30 in English.
export function formatTime(iso, lang, timeZone) {
  const at = iso instanceof Date ? iso : new Date(iso);
  const parts = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone })
    .formatToParts(at);
  const hour = parts.find((p) => p.type === "hour")?.value ?? "00";
  const minute = parts.find((p) => p.type === "minute")?.value ?? "00";
  return `${hour}${lang === "en" ? ":" : "."}${minute}`;
}

// The wait as a citizen reads it, from the API's `estimated_wait` ({status, minutes, low, high, after_closing}):
// a range ("sekitar 20–30 menit"), "Segera" when it is a matter of a couple of minutes, plainly that no counter
// of the service is open yet, or that the call is expected after the day's opening hours (they may not be served
// today). `minutes`: the single figure of an older server, used when there is no range.
// A wait said in words rather than a figure (shown smaller, wrapped).
export function waitInWords(wait) {
  return Boolean(wait && (wait.status === "no_counter_open" || wait.after_closing));
}

export function waitText(texts, wait, minutes) {
  if (wait && wait.status === "no_counter_open") return texts.t("wait_no_counter");
  if (wait && wait.after_closing) return texts.t("wait_after_closing");
  if (wait && wait.low !== null && wait.low !== undefined && wait.high !== null && wait.high !== undefined) {
    if (wait.high <= 2) return texts.t("wait_soon");
    return texts.t("wait_range", { low: wait.low, high: wait.high });
  }
  if (minutes === null || minutes === undefined) return "–";
  return minutes <= 0 ? texts.t("wait_soon") : texts.t("minutes", { n: minutes });
}

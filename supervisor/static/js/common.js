// Shared by the supervisor's pages: page config, Indonesian/English texts, the signed-in session (a token in this
// tab's sessionStorage), API calls with it, formatting of times in the site's own time zone, and the pages' questions.

import { Question } from "/static/shared/question.js";

export const config = JSON.parse(document.getElementById("config").textContent);
export const site = config.site || null; // null on the national view, which spans malls (and time zones)

const TOKEN_KEY = "mpp.supervisor.token";
const LANG_KEY = "mpp.supervisor.lang";

// --- language ---------------------------------------------------------------------------------------------------

let lang = new URLSearchParams(location.search).get("lang") || localStorage.getItem(LANG_KEY) || config.lang || "id";
if (!(lang in config.text)) lang = "id";
// ?lang=en is remembered like the switch: the menu's links and a reload keep it (the address is rewritten by pages).
if (new URLSearchParams(location.search).has("lang")) localStorage.setItem(LANG_KEY, lang);
const listeners = [];

export function T(key) {
  return config.text[lang][key] ?? config.text.id[key] ?? key;
}

// A sentence with a count in it: its `_one` form for one where the language has one ("1 of 1 mall reaches its own
// sample", "1 ticket expired"); Indonesian, which does not inflect, has none and says the same for every number.
export function counted(key, n) {
  return T(n === 1 && `${key}_one` in config.text[lang] ? `${key}_one` : key);
}

export function currentLang() {
  return lang;
}

export function onLangChange(callback) {
  listeners.push(callback);
}

export function applyTexts(root = document) {
  document.documentElement.lang = lang;
  const page = document.getElementById("page-title");
  const before = page?.textContent;
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = T(el.dataset.t);
  // The window's title too ("Laporan · MPP ..."): it was the first load's language.
  if (page && before && page.textContent !== before) document.title = document.title.replace(before, () => page.textContent);
  for (const el of root.querySelectorAll("[data-t-title]")) el.title = T(el.dataset.tTitle);
  for (const el of root.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", T(el.dataset.tLabel));
  // The language button is written in the language it switches to ("English", "Bahasa Indonesia"): a screen
  // reader says it in that language.
  const switcher = document.getElementById("lang");
  if (switcher) switcher.lang = lang === "id" ? "en" : "id";
  for (const el of root.querySelectorAll("[data-t-placeholder]")) el.placeholder = T(el.dataset.tPlaceholder);
  describeDates(root);
}

// A date picker shows the browser's own format (mm/dd/yyyy in an English browser): beside it, the date in words of
// the page's language ("Senin, 7 Desember 2026"), so nobody has to guess which is the day and which the month.
const DAY_WORDS = {
  id: ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
  en: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
};
const MONTH_WORDS = {
  id: ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"],
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
};

export function dateWords(iso) {
  const [y, m, d] = String(iso).split("-").map(Number);
  if (!y || !m || !d) return "";
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  const l = lang === "en" ? "en" : "id";
  return `${DAY_WORDS[l][weekday]}, ${d} ${MONTH_WORDS[l][m - 1]} ${y}`;
}

export function describeDates(root = document) {
  for (const input of root.querySelectorAll("input[type=date]")) {
    let words = input.nextElementSibling;
    if (!words || !words.classList.contains("date-words")) {
      words = Object.assign(document.createElement("span"), { className: "date-words" });
      words.setAttribute("aria-live", "polite");
      input.after(words);
      input.addEventListener("input", () => (words.textContent = dateWords(input.value)));
      input.addEventListener("change", () => (words.textContent = dateWords(input.value)));
    }
    const said = dateWords(input.value);
    if (words.textContent !== said) words.textContent = said; // the same words written again are news to a live region
  }
}

// A period's date field left empty or typed in part (the browser then gives ""): the page's own refusal, in the
// page's language, shaped as the API's (`error.details.field`), instead of the browser's bubble in the browser's
// language ("Please fill out this field.") beside the last refusal, which stayed. `emptyIsDefault`: on the national
// pages an empty field asks for the default period, and only a date typed in part is refused (it was taken silently
// for the default).
export function incompleteDate(form, emptyIsDefault = false) {
  for (const input of form.querySelectorAll("input[type=date]")) {
    if (!input.validity.badInput && (input.value || emptyIsDefault)) continue;
    const label = input.closest("label")?.querySelector("span")?.textContent.trim() || input.name;
    const message = T("date_incomplete").replace("{field}", () => label);
    return { error: { code: "invalid_field", message, message_en: message, details: { field: input.name } } };
  }
  return null;
}

function switchLang() {
  lang = lang === "id" ? "en" : "id";
  localStorage.setItem(LANG_KEY, lang);
  const address = new URL(location.href);
  if (address.searchParams.has("lang")) {  // else a reload would go back to the address's language
    address.searchParams.set("lang", lang);
    history.replaceState(history.state, "", address);
  }
  applyTexts();
  question?.refresh();
  for (const callback of listeners) callback(lang);
}

// --- the pages' questions ---------------------------------------------------------------------------------------

// Asked in the page's own dialog (base.html's #question-dialog, /static/shared/question.js), never window.confirm,
// which stops the page (the dashboard's figures froze behind it), cannot be withdrawn, and speaks the browser's
// language. `words`: () => { title, text, yes } in the page's language now (the cancel button is "Batal"); `danger`:
// "yes" in the colour of what cannot be undone (a removal, a revocation, a counter closed on its citizen). Resolves
// "yes", "no" or "withdrawn" (`withdrawQuestion`, when what it asks about has changed); only "yes" may act.
let question = null;

export function ask(words, { danger = false } = {}) {
  const dialog = document.getElementById("question-dialog");
  question ??= new Question(dialog);
  dialog.classList.toggle("danger", danger);
  return question.ask(() => ({ no: T("cancel"), ...words() }));
}

// The open question, if any, taken back unanswered (its promise says "withdrawn"): the page says why.
export function withdrawQuestion() {
  question?.withdraw();
}

// --- the session ------------------------------------------------------------------------------------------------

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function errorText(body, fallback) {
  const error = body && body.error ? body.error : body;
  if (error && (error.message || error.message_en)) return lang === "en" ? error.message_en : error.message;
  return fallback || T("error_generic");
}

export async function api(path, { method = "GET", body, raw = false } = {}) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    return { ok: false, status: 0, body: null };
  }
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin();
  }
  if (raw) return { ok: response.ok, status: response.status, response };
  const type = response.headers.get("content-type") || "";
  const parsed = type.includes("json") ? await response.json() : await response.text();
  return { ok: response.ok, status: response.status, body: parsed };
}

// A random id for command_id: crypto.randomUUID() exists only on https or localhost, a mall LAN is plain http.
// A CSV of the API saved as a file (the session token goes in a header, so a plain link cannot fetch it). `excel`:
// ';' between cells, decimal commas and "08.00", as Excel opens it in Indonesia, with its column names in the page's
// language (the plain CSV keeps the names scripts read). A refusal comes back as its sentence.
export async function download(url, fallbackName, excel = false) {
  const result = await api(`${url}${excel ? `&excel=1&lang=${lang}` : ""}`, { raw: true });
  if (!result.ok) return errorText(await result.response.json().catch(() => null));
  const blob = await result.response.blob();
  const name = /filename="([^"]+)"/.exec(result.response.headers.get("content-disposition") || "")?.[1] || fallbackName;
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return null;
}

export function commandId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let started = false;
let startPage = null;

function showLogin() {
  const app = document.getElementById("app");
  if (app) app.hidden = true;
  document.getElementById("login").hidden = false;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  document.querySelector("#login-form input[name=username]").focus();
  sayStorage();
}

// A sign-in saves a session: while the server cannot write its database (a full disk) it cannot work, so the form
// says so before anyone types (the dashboard's alert reaches only those already signed in).
async function sayStorage() {
  const notice = document.getElementById("login-storage");
  try {
    const health = await fetch("/healthz", { cache: "no-store" });
    notice.hidden = !health.ok || (await health.json()).status !== "storage_failing";
  } catch {
    notice.hidden = true;
  }
}

export function fatal(message) {
  const el = document.getElementById("fatal");
  el.textContent = message;
  el.hidden = false;
  const app = document.getElementById("app");
  if (app) app.hidden = true;
}

async function enter() {
  const me = await api("/api/v1/me");
  if (!me.ok) return showLogin();
  document.getElementById("login").hidden = true;
  document.getElementById("logout").hidden = false;
  document.getElementById("who").textContent = `${me.body.name} · ${T(`role_${me.body.role}`)}`;
  // Only the pages this account may use are offered (an operator sees its agency's dashboard, not reports).
  for (const link of document.querySelectorAll("[data-roles]")) {
    link.hidden = !link.dataset.roles.split(" ").includes(me.body.role);
  }
  const app = document.getElementById("app");
  if (app) app.hidden = false;
  if (!started) {
    started = true;
    startPage(me.body);
  }
}

// A table's scrolling box is a Tab stop only while it scrolls: the keyboard needs it to scroll a wide table, but a
// table that fits (a card per row on a phone, a short table on a wide screen) made a stop with nothing to do. It
// keeps tabindex -1 (and its role and name), so a list that loses the focused button can still hand the focus to
// it (refocus below). Watched for the box's size (a window resized or turned), the table's (rows drawn), and what
// is drawn in it (the dashboard's alerts and lists grow inside a box of fixed height, which no resize says).
export function tabStopWhileScrolling(box) {
  const update = () => {
    const scrolls = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
    const wanted = scrolls ? 0 : -1;
    if (box.tabIndex !== wanted) box.tabIndex = wanted;
  };
  const watch = new ResizeObserver(update);
  watch.observe(box);
  for (const child of box.children) watch.observe(child);
  new MutationObserver(update).observe(box, { childList: true, subtree: true });
  update();
}

// Runs `start(me)` once signed in; shows the sign-in form first when needed.
export function boot(start) {
  startPage = start;
  applyTexts();
  const boxes = ".table-scroll[tabindex], .table-card[tabindex], .scroll[tabindex], section.alerts[tabindex]";
  for (const box of document.querySelectorAll(boxes)) tabStopWhileScrolling(box);
  document.getElementById("lang").addEventListener("click", switchLang);
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/api/v1/auth/logout", { method: "POST" });
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  const nav = document.querySelector(`[data-nav="${config.page}"]`);
  if (nav) nav.setAttribute("aria-current", "page");
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const result = await api("/api/v1/auth/login", {
      method: "POST",
      body: { username: form.get("username"), password: form.get("password") },
    });
    const error = document.getElementById("login-error");
    if (!result.ok) {
      error.textContent = errorText(result.body);
      // the server's sentence says it now (once, not twice); or a write went through and it is over
      if (result.body?.error?.code === "storage_unavailable") document.getElementById("login-storage").hidden = true;
      else sayStorage();
      return;
    }
    error.textContent = "";
    sessionStorage.setItem(TOKEN_KEY, result.body.token);
    enter();
  });
  if (token()) enter();
  else showLogin();
}

// --- formatting -------------------------------------------------------------------------------------------------

const ZONES = { "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT" };

// Times are shown in the site's own zone; a page without one site (the national view) chooses its own.
const pageZone = site ? site.timezone : "Asia/Jakarta";

export function zoneLabel(zone = pageZone) {
  return ZONES[zone] || zone;
}

// The reader's own time zone (the browser's): a national page's default period ends on today there, not on the
// latest day among malls in three zones.
export function readerZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Jakarta";
  } catch {
    return "Asia/Jakarta";
  }
}

// A period in words: "Minggu, 1 November 2026 – Senin, 30 November 2026 (bulan ini sampai hari ini menurut WIB)".
export function periodWords(period) {
  const days = period.from === period.to ? dateWords(period.from) : `${dateWords(period.from)} – ${dateWords(period.to)}`;
  if (!period.default) return days;
  return `${days} (${T("period_default").replace("{zone}", () => zoneLabel(period.timezone))})`;
}

const clockFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: pageZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
const shortFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: pageZone, hour: "2-digit", minute: "2-digit", hour12: false,
});
const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: pageZone });

// Indonesian writes times with a dot (09.46), English with a colon (09:46).
function timeMarks(text) {
  return lang === "id" ? text.replace(/:/g, ".") : text;
}

export function clockText(ms) {
  return timeMarks(clockFormat.format(new Date(ms)));
}

export function shortTime(iso) {
  return iso ? timeMarks(shortFormat.format(new Date(iso))) : "–";
}

export function localDay(ms) {
  return dayFormat.format(new Date(ms));
}

// A moment in words, in the site's zone: "Sabtu, 5 Desember 2026 pukul 10.10" / "Saturday, 5 December 2026 at 10:10".
export function whenWords(iso) {
  return `${dateWords(localDay(Date.parse(iso)))} ${lang === "id" ? "pukul" : "at"} ${shortTime(iso)}`;
}

// A moment in words in a zone other than the page's, named: the national pages write times where their reader is
// ("Senin, 30 November 2026 pukul 23.30 WIT"), the zone their period is of.
export function whenWordsIn(iso, zone) {
  const at = new Date(iso);
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(at);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false })
    .format(at);
  return `${dateWords(day)} ${lang === "id" ? "pukul" : "at"} ${timeMarks(time)} ${zoneLabel(zone)}`;
}

// Minutes for waits ("46 mnt", "1 j 05 mnt"); "–" when there is nothing to show.
export function minutesText(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} ${T("minutes_short")}`;
  return `${Math.floor(minutes / 60)} ${T("hours_short")} ${String(minutes % 60).padStart(2, "0")} ${T("minutes_short")}`;
}

// How long a counter has held its ticket, in words ("4 mnt 07 dtk", "1 j 02 mnt"): "4:07" read as a time of day.
export function stopwatch(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return minutesText(s);
  return `${m} ${T("minutes_short")} ${String(s % 60).padStart(2, "0")} ${T("seconds_short")}`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key === "role" || key.startsWith("aria-") || key === "title") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// A table of records (class "stack") is one card per row on a phone (base.css): each cell is shown beside its
// column's name, its data-label, written here from the table's own headings, so no label is written twice by hand.
// A heading's own data-label wins where its text is short for something ("U1": "U1 Persyaratan"); a heading that is
// only read (the row's buttons) and a cell across columns ("no tickets") have none. Call it wherever rows are
// drawn: a new row, or the headings in another language, are labelled again.
export function labelCells(table) {
  const names = [];
  for (const th of table.tHead?.rows[0]?.cells || []) {
    const unseen = [...th.querySelectorAll(".visually-hidden")].map((e) => e.textContent).join("");
    const name = th.dataset.label ?? th.textContent.replace(unseen, "").trim();
    for (let i = 0; i < th.colSpan; i++) names.push(name);
  }
  for (const group of [...table.tBodies, table.tFoot].filter(Boolean)) {
    for (const row of group.rows) {
      let column = 0;
      for (const cell of row.cells) {
        const label = cell.colSpan > 1 ? "" : names[column] || "";
        if (cell.getAttribute("data-label") !== label) cell.setAttribute("data-label", label);
        column += cell.colSpan;
      }
    }
  }
}

// A list redrawn with each push (the dashboard's, about once a second) or each reading (messages out, every 10 s) is
// updated in place, keyed by its entries' ids: an entry whose markup did not change keeps its element, so a focused
// button keeps the focus, a screen reader keeps its place and nothing is removed and added again; a changed entry is
// replaced where it stands, and the focus it held goes to its replacement. `build(item)` makes an
// entry's element; `fill(element, item)` then writes what changes with every push (a stopwatch), which is left out
// of the comparison.
export function redraw(box, items, build, keyOf, fill = null) {
  const focused = box.contains(document.activeElement) ? focusKey(box, document.activeElement, keyOf) : null;
  const old = new Map([...box.children].map((node) => [keyOf(node), node]));
  items.forEach((item, i) => {
    const fresh = build(item);
    const key = keyOf(fresh);
    const markup = fresh.outerHTML;
    let node = old.get(key);
    old.delete(key);
    if (!node || node.markup !== markup) {
      if (node) node.replaceWith(fresh);
      node = fresh;
      node.markup = markup;
    }
    if (fill) fill(node, item);
    if (box.children[i] !== node) box.insertBefore(node, box.children[i] || null);
  });
  for (const node of old.values()) node.remove();
  if (focused && !box.contains(document.activeElement)) refocus(box, focused, keyOf);
}

// Where the focus was in a redrawn list: the entry's key, the button's command and its place among the entry's
// buttons (after "Jeda" the card offers "Lanjutkan" in its place).
function focusKey(box, element, keyOf) {
  const entry = [...box.children].find((node) => node.contains(element));
  if (!entry) return null;
  const buttons = [...entry.querySelectorAll("button")];
  return { key: keyOf(entry), command: element.dataset.command, index: buttons.indexOf(element) };
}

function refocus(box, focused, keyOf) {
  const entry = [...box.children].find((node) => keyOf(node) === focused.key);
  if (!entry) return box.closest("[tabindex]")?.focus();
  const buttons = [...entry.querySelectorAll("button")];
  const target = buttons.find((b) => focused.command && b.dataset.command === focused.command)
    || buttons[Math.min(focused.index, buttons.length - 1)];
  // No button left (a counter now serving): the list's own scrolling region, never the page's <body>.
  (target || box.closest("[tabindex]"))?.focus();
}

// A modal dialog (a question, the Settings editor, "Tutup hari") makes the rest of the page inert: Chromium leaves
// it out of the accessibility tree, so a toast behind it (a new alert, "Loket 1 ditutup", a question withdrawn) was
// never read out, and shown dimmed under the backdrop. So the toasts' area lives in the modal dialog on top while
// one is open (the same place on screen, above the backdrop, read out), and goes back to the page when it closes.
// The last open one in the page is on top: the question dialog comes after the page's own in base.html, and is
// asked over them, never under.
function placeToasts() {
  const toasts = document.getElementById("toasts");
  if (!toasts) return null;
  const host = [...document.querySelectorAll("dialog[open]")].filter((d) => d.matches(":modal")).at(-1) || document.body;
  if (toasts.parentElement !== host) host.append(toasts);
  return toasts;
}
// a dialog opened or closed: the toasts shown go along (a toast is placed again as it comes, see `toast`)
new MutationObserver(placeToasts).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["open"] });

export function toast(message, kind = "info", seconds = 8) {
  const box = el("div", { class: `toast ${kind}`, role: kind === "danger" ? "alert" : "status", text: message });
  const toasts = placeToasts(); // now, not when the observer runs: a question withdrawn is closed just before
  toasts.append(box);
  while (toasts.children.length > 3) toasts.firstElementChild.remove(); // the newest three; the rest are on screen
  setTimeout(() => box.remove(), seconds * 1000);
}

export function agencyOf(id) {
  return site.agencies.find((a) => a.id === id);
}

// Running the mall without editing files (docs/administration.md): services, counters, agencies, opening hours,
// holidays and special periods are the site's configuration (GET/PUT /api/v1/sites/{site}/configuration, the site
// file's own structure as JSON); each saved change is checked by the server as a site file is, applied live to
// every screen and counter, and audited. Devices and accounts have their own routes. Every change names the
// version it was made on, so two administrators never overwrite each other unseen.

import { T, api, applyTexts, ask, boot, config, counted, currentLang, dateWords, el, errorText, labelCells, onLangChange, shortTime, site, toast, whenWords, withdrawQuestion, zoneLabel } from "./common.js";

const $ = (id) => document.getElementById(id);
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const BASE = `/api/v1/sites/${site.id}`;

let me = null;
let current = null; // {version, source, document}
let tab = "services";
let devices = [];
let accounts = [];
let screens = [];

// --- reading and saving the configuration ------------------------------------------------------------------------

async function load() {
  const result = await api(`${BASE}/configuration`);
  $("admin-error").textContent = result.ok ? "" : errorText(result.body);
  if (!result.ok) return false;
  current = result.body;
  screens = siteScreens().map((s) => s.id);
  render();
  document.body.dataset.version = String(current.version);
  return true;
}

// A list of texts as the page uses it: the server stores lists, but a site file may write one text where a list is
// expected (`mon = "08:00-15:00"`, `services = "ktp"`), and a tab must never go blank on it.
function listOf(value) {
  if (Array.isArray(value)) return value;
  return typeof value === "string" && value ? [value] : [];
}

// A site file without [[screens]] has one all the same (settings/sitefile.py): "lobby", the whole hall, speaking.
const IMPLICIT_LOBBY = { id: "lobby", name: "Layar lobi", speaker: true };

// The screens the site runs with: the document's, or the implicit lobby when it lists none.
function siteScreens(document = current.document) {
  const listed = document.screens || [];
  return listed.length ? listed : [{ ...IMPLICIT_LOBBY, implicit: true }];
}

function copyOf(document) {
  return JSON.parse(JSON.stringify(document));
}

// Sends the changed document; the editor stays open with the server's reasons when it is refused. A change that
// closes the mall at times citizens have booked (a holiday, shorter hours, a day closed) is refused with how many
// bookings on which days: the page asks, and saved again with that number the server cancels them (a booking made
// meanwhile on such a day is asked about again).
async function save(document) {
  const today = await todayEffects(current.document, document);
  if (today.length) {
    const { answer, why } = await askWatching(() => ({
      title: T("admin_today_title"), text: `${today.join("\n\n")}\n\n${T("admin_today_confirm")}`, yes: T("admin_today_yes"),
    }), {}, configurationChanged("admin_withdrawn_save"));
    if (why) return { ok: false, message: why, problems: [], places: [], stale: true };
    if (answer !== "yes") return { ok: false, message: T("admin_today_kept"), problems: [], places: [] };
  }
  const unservedBefore = new Set(unserved().map((w) => w.service.id));
  let result = await api(`${BASE}/configuration`, { method: "PUT", body: { version: current.version, document } });
  for (let asked = 0; !result.ok && asked < 3; asked++) {
    const error = result.body && result.body.error;
    if (!error || error.code !== "bookings_closed") break;
    const n = error.details.bookings;
    const sentence = errorText(result.body);
    const { answer, why } = await askWatching(() => ({
      title: T("admin_bookings_closed_title"),
      text: `${sentence}\n\n${counted("admin_bookings_closed_confirm", n).replace("{n}", () => n)}`,
      yes: counted("admin_bookings_closed_yes", n).replace("{n}", () => n),
    }), { danger: true }, configurationChanged("admin_withdrawn_save"));
    if (why) return { ok: false, message: why, problems: [], places: [], stale: true };
    if (answer !== "yes") break;
    result = await api(`${BASE}/configuration`, {
      method: "PUT", body: { version: current.version, document, cancel_bookings: n },
    });
  }
  if (!result.ok) {
    const error = result.body && result.body.error;
    // Each problem in the page's words (the field, what is wrong), under one heading: the sentence of the refusal
    // says them all again, so it is not shown too.
    const said = error && error.details && error.details.problems_text;
    const problems = said ? said[currentLang()] || said.id : [];
    const message = problems.length ? T("admin_config_invalid") : errorText(result.body);
    const places = problems.length ? error.details.problems || [] : []; // as the site file names them, by code
    return { ok: false, message, problems, places, stale: error && error.code === "configuration_stale" };
  }
  // What changed in the page's words ("Loket 2 ditambahkan, jam buka diubah"), never the audit log's codes.
  const said = result.body.changes_text || {};
  const words = said[currentLang()] || said.id || [];
  let changes = words.length ? words.join(", ") : T("admin_no_change");
  if (result.body.bookings_cancelled) changes += `; ${counted("admin_bookings_cancelled", result.body.bookings_cancelled).replace("{n}", () => result.body.bookings_cancelled)}`;
  // A service this change leaves without a counter takes no tickets: said with the save, not only above the tabs.
  const left = (result.body.warnings || []).filter((w) => w.kind === "service_without_counter" && !unservedBefore.has(w.service.id));
  if (left.length) changes += `. ${T("admin_saved_unserved").replace("{services}", () => left.map((w) => w.service.name).join(", "))}`;
  toast(T("admin_saved").replace("{version}", () => result.body.version).replace("{changes}", () => changes), left.length ? "warning" : "info", left.length ? 12 : undefined);
  await load();
  return { ok: true };
}

// What a change does to today's queue the moment it is saved, asked before it is (an outside review: a quota
// lowered below today's numbers, and today made a holiday, were saved as "Pajak Daerah diubah" and "jam buka
// diubah" while the kiosks stopped giving those numbers at once). Today's numbers are the live state's.
async function todayEffects(before, after) {
  const result = await api(`${BASE}/state`);
  if (!result.ok || result.body.day_closed) return [];
  const { day, issued_today: issued = {} } = result.body;
  const said = [];
  for (const agency of agencies(after)) {
    for (const service of agency.services || []) {
      const taken = issued[service.id] || 0;
      const was = findService(before, service.id)?.service;
      const full = (quota) => quota !== null && quota !== undefined && taken >= quota;
      if (full(service.daily_quota) && !(was && full(was.daily_quota))) {
        said.push(counted("admin_today_quota", taken).replace("{service}", () => service.name).replace("{taken}", () => taken).replace("{quota}", () => service.daily_quota));
      }
    }
  }
  const holidays = (document) => listOf((document.site.hours || {}).holidays);
  if (holidays(after).includes(day) && !holidays(before).includes(day) && after.site.enforce_hours !== false) {
    said.push(T("admin_today_holiday").replace("{day}", () => dateWords(day)));
  } else if (result.body.time && openAt(before, day, result.body.time) && !openAt(after, day, result.body.time)
             && after.site.enforce_hours !== false) {
    // today's hours changed so that the mall is closed right now: the kiosks stop at once, as for a holiday
    said.push(T("admin_today_closed_now").replace("{time}", () => result.body.time.replace(":", ".")));
  }
  return said;
}

// Whether a configuration has the mall open on `day` (YYYY-MM-DD) at `time` (HH:MM, the mall's local time), as the
// server reads its hours (catalogue.OpeningHours.ranges_on): none on a holiday, a special period's week, else the
// usual week.
function openAt(document, day, time) {
  const hours = document.site.hours || {};
  if (listOf(hours.holidays).includes(day)) return false;
  const weekday = WEEKDAYS[(new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7];
  const period = listOf(hours.periods).find((p) => p.from <= day && day <= p.to);
  const ranges = listOf((period || hours)[weekday]).flatMap((r) => String(r).split(","));
  return ranges.some((range) => {
    const [start, end] = range.trim().split("-").map((t) => t.trim().padStart(5, "0"));
    return start <= time && time < end;
  });
}

function unserved() {
  return ((current && current.warnings) || []).filter((w) => w.kind === "service_without_counter");
}

// A refusal of the accounts' and devices' routes: its sentence, marked on the field it names (`details.field`).
function refused(body) {
  const field = body && body.error && body.error.details && body.error.details.field;
  return { ok: false, message: errorText(body), problems: [], places: typeof field === "string" ? [field] : [] };
}

// --- the editor dialog: a form from a list of fields ---------------------------------------------------------------

// field: {key, label, type: text|number|select|checks|colour|date|hours, required, options: [[value, label]], hint,
//         readonly, min, max, step, pattern, invalid: the text key saying the format `pattern` wants}
function input(field, value) {
  const id = `f-${field.key}`;
  const hint = field.hint ? el("span", { class: "hint", id: `${id}-hint`, text: field.hint }) : null;
  const common = { id, name: field.key, required: field.required || false, disabled: field.readonly || false };
  if (hint) common["aria-describedby"] = `${id}-hint`;
  let control;
  if (field.type === "select") {
    control = el("select", common, ...field.options.map(([v, label]) => el("option", { value: v, text: label, selected: v === value })));
  } else if (field.type === "checkbox") {
    return el("label", { class: "field check wide" }, el("input", { ...common, type: "checkbox", checked: Boolean(value) }), el("span", { text: field.label }), hint);
  } else if (field.type === "checks") {
    const chosen = new Set(listOf(value));
    control = el("fieldset", { class: "checks", id },
      el("legend", { text: field.label }),
      ...field.options.map(([v, label, group]) => el("label", { class: "check", "data-group": group },
        el("input", { type: "checkbox", name: field.key, value: v, checked: chosen.has(v) }), el("span", { text: label }))),
      field.empty ? el("p", { class: "hint empty", hidden: true, text: field.empty }) : null);
    return el("div", { class: "field wide" }, control, hint);
  } else {
    const type = field.type === "colour" ? "color" : field.type === "hours" ? "text" : field.type || "text";
    const shown = field.type === "hours" ? hoursText(value) : value ?? "";
    const decimal = field.step && field.step % 1; // a phone's keypad offers the decimal point where a half is allowed
    control = el("input", { ...common, type, value: shown, min: field.min, max: field.max, step: field.step, pattern: field.pattern,
      inputMode: field.type === "number" ? (decimal ? "decimal" : "numeric") : undefined, autocomplete: "off" });
  }
  explainInvalid(control, field);
  return el("label", { class: field.wide ? "field wide" : "field" }, el("span", { text: field.label }), control, hint);
}

// The browser's own messages ("Please match the requested format.", in the browser's language) say neither what is
// wrong nor in the page's language: each field says in the page's words what it wants, checked again as it is typed.
function explainInvalid(control, field) {
  const number = (n) => Number(n).toLocaleString(currentLang() === "en" ? "en-GB" : "id-ID");
  const say = () => {
    control.setCustomValidity("");
    const folded = field.folded ? control.value.split(/\s+/).filter(Boolean).join(" ").length : 0;
    if (folded > field.folded) {
      control.setCustomValidity(T("admin_invalid_too_long").replace("{max}", () => number(field.folded)).replace("{length}", () => number(folded)));
      return;
    }
    const validity = control.validity;
    if (validity.valid) return;
    let key = "admin_invalid_required";
    if (validity.valueMissing) key = "admin_invalid_required";
    else if (field.type === "number") key = field.step && field.step % 1 ? "admin_invalid_half" : "admin_invalid_whole_number";
    else if (field.type === "date") key = "admin_invalid_date";
    else if (validity.patternMismatch && field.invalid) key = field.invalid;
    control.setCustomValidity(T(key).replace("{min}", () => number(field.min)).replace("{max}", () => number(field.max)));
  };
  control.addEventListener("input", say);
  control.addEventListener("change", say);
  say();
}

function valuesOf(form, fields) {
  const out = {};
  for (const field of fields) {
    if (field.type === "checks") {
      out[field.key] = [...form.querySelectorAll(`input[name="${field.key}"]:checked`)].map((i) => i.value);
      continue;
    }
    if (field.type === "checkbox") {
      out[field.key] = form.elements[field.key].checked;
      continue;
    }
    const raw = form.elements[field.key].value.trim();
    if (field.type === "number") out[field.key] = raw === "" ? null : Number(raw);
    else if (field.type === "hours") out[field.key] = hoursList(raw);
    else out[field.key] = raw === "" ? null : raw;
  }
  return out;
}

let editing = null;

// --- keeping the keyboard's place --------------------------------------------------------------------------------

// A save redraws the panel: the button that opened the editor ("Ubah" on a row) is replaced, and the focus fell to
// <body>. A control's place is its id, or its row's key and its place among the row's buttons; once the panel is
// drawn again the focus goes back to the same control, or to what took its place ("Aktifkan" for "Nonaktifkan"),
// or to the panel when the row itself is gone.
const ROW_KEYS = ["service", "counter", "agency", "screen", "device", "account", "holiday", "period"];
let opener = null;
let focusNext = null; // where the focus goes once the editor closes, instead of its opener (a new device's address)

function placeOf(element) {
  if (!element || element === document.body) return null;
  if (element.id) return { id: element.id };
  const row = element.closest(ROW_KEYS.map((key) => `[data-${key}]`).join(", "));
  if (!row || !$("panel").contains(row)) return null;
  const key = ROW_KEYS.find((k) => row.dataset[k] !== undefined);
  return { key, value: row.dataset[key], index: [...row.querySelectorAll("button")].indexOf(element) };
}

function focusPlace(place) {
  if (!place) return;
  let target = place.id ? document.getElementById(place.id) : null;
  if (!target && place.key) {
    const row = [...$("panel").querySelectorAll(`[data-${place.key}]`)].find((r) => r.dataset[place.key] === place.value);
    const buttons = row ? [...row.querySelectorAll("button")] : [];
    target = buttons[Math.max(0, Math.min(place.index, buttons.length - 1))] || null;
  }
  (target || $("panel")).focus();
}

function lostFocus() {
  return !document.activeElement || document.activeElement === document.body;
}

// Opens the editor; `apply(values, document)` changes a copy of the document, or returns a message to show.
function edit(title, fields, values, apply) {
  opener = placeOf(document.activeElement);
  focusNext = null;
  editing = { fields, apply };
  $("editor-title").textContent = title;
  $("editor-fields").replaceChildren(...fields.map((f) => input(f, values[f.key])));
  $("editor-error").replaceChildren();
  $("editor").showModal();
  const first = $("editor-fields").querySelector("input:not([disabled]), select:not([disabled])");
  if (first) first.focus();
}

// The server's problems under the form, each marked on the field it is about (its place's last step, "...prefix":
// the prefix field): aria-invalid, the problem as its description, and the focus on the first of them.
function showProblems(message, problems, stale, places = []) {
  const box = $("editor-error");
  // A single refusal (an account's, a device's) is its own description of the field it names.
  box.replaceChildren(el("p", { text: message, id: problems.length ? null : "editor-problem-0" }));
  if (problems.length) box.append(el("ul", {}, ...problems.map((p, i) => el("li", { id: `editor-problem-${i}`, text: p }))));
  if (stale) box.append(el("button", { type: "button", text: T("admin_reload"), onclick: async () => { $("editor").close(); await load(); } }));
  clearProblems();
  let first = null;
  places.forEach((place, i) => {
    const field = problemField(place);
    if (!field) return;
    if (field.matches("input, select, textarea")) field.setAttribute("aria-invalid", "true");
    const said = field.getAttribute("aria-describedby");
    if (!("described" in field.dataset)) field.dataset.described = said || "";
    field.setAttribute("aria-describedby", [said, `editor-problem-${i}`].filter(Boolean).join(" "));
    first = first || field;
  });
  if (first) (first.matches("fieldset") ? first.querySelector("input:not([disabled])") || first : first).focus();
}

function problemField(place) {
  const where = String(place).split(": ")[0];
  const key = where.split(".").pop().replace(/\[.*$/, "");
  const field = key && document.getElementById(`f-${key}`);
  return field && $("editor-fields").contains(field) && !field.disabled && !field.closest("[hidden]") ? field : null;
}

function clearProblems() {
  for (const field of $("editor-fields").querySelectorAll("[data-described]")) {
    field.removeAttribute("aria-invalid");
    if (field.dataset.described) field.setAttribute("aria-describedby", field.dataset.described);
    else field.removeAttribute("aria-describedby");
    delete field.dataset.described;
  }
}

async function submitEditor(event) {
  event.preventDefault();
  if (!editing) return;
  const form = $("editor-form");
  if (!form.reportValidity()) return;
  const values = valuesOf(form, editing.fields);
  const outcome = await editing.apply(values);
  if (outcome === true || (outcome && outcome.ok)) {
    $("editor").close();
    editing = null;
    return;
  }
  if (typeof outcome === "string") return showProblems(outcome, [], false);
  showProblems(outcome.message, outcome.problems, outcome.stale, outcome.places);
}

// What each removal, revocation or account change asks (title, text, "yes"), of the thing it names.
const QUESTIONS = {
  remove: ["admin_remove_title", "admin_confirm_remove", "admin_remove_yes"],
  revoke: ["admin_revoke_title", "admin_confirm_revoke", "admin_revoke_yes"],
  disable: ["admin_disable_title", "admin_confirm_disable", "admin_disable_yes"],
  enable: ["admin_enable_title", "admin_confirm_enable", "admin_enable_yes"],
  remove_account: ["admin_remove_account_title", "admin_confirm_remove_account", "admin_remove_yes"],
};

// Asked in the page's dialog (common.js `ask`), then done; only enabling an account again is not in red. `changed`:
// what the question is about, read again while it is open (`askWatching`); by default the configuration's version,
// which every removal of a part of it is made on. Withdrawn, the page says why and shows what is there now.
async function confirmThen(kind, name, action, changed = configurationChanged("admin_withdrawn_remove")) {
  const place = placeOf(document.activeElement);
  const [title, text, yes] = QUESTIONS[kind].map((key) => () => T(key).replace("{name}", () => name));
  const { answer, why } = await askWatching(() => ({ title: title(), text: text(), yes: yes() }), { danger: kind !== "enable" }, changed);
  if (why) {
    toast(why, "warning", 12);
    await changed.reload();
  }
  if (lostFocus()) focusPlace(place);
  if (answer !== "yes") return;
  const outcome = await action();
  if (lostFocus()) focusPlace(place);
  // A removal has no form to show its problems beside: they follow the heading ("Perbaiki dulu: ...").
  if (outcome && outcome.ok === false) toast([outcome.message, ...(outcome.problems || [])].join(" "), "danger", 12);
}

// --- questions withdrawn when what they ask about changed ------------------------------------------------------

// The Settings page is not a live page (no websocket; devices and accounts have no live event at all), so it learns
// of another administrator's change only by reading again: while one of its questions is open it reads what the
// question is about every WATCH_MS (the configuration's version from the kiosks' few-hundred-byte `today`, the device
// or account lists), and once that has changed or gone the question is withdrawn: nothing is sent, and the page says
// why. A stale configuration would be refused anyway (`configuration_stale`); this says it before "yes" is pressed.
const WATCH_MS = 3000;

// `changed()`: a sentence saying why the question no longer holds, or null. Resolves { answer, why }: `why` only
// when it was withdrawn for that reason.
async function askWatching(words, options, changed) {
  let open = true;
  let why = null;
  let reading = false;
  const timer = setInterval(async () => {
    if (reading) return;
    reading = true;
    const said = await changed().catch(() => null); // not read this time (the server busy): read again next time
    reading = false;
    if (!said || !open) return; // answered meanwhile: a later question is not this one's to withdraw
    why = said;
    withdrawQuestion();
  }, WATCH_MS);
  const answer = await ask(words, options).then((a) => { open = false; return a; });
  clearInterval(timer);
  return { answer, why: answer === "withdrawn" ? why : null };
}

// The configuration saved again since the page read it (by another administrator, or a changed site file).
function configurationChanged(key) {
  const asked = current.version;
  const changed = async () => {
    const result = await api(`${BASE}/today`);
    const now = result.ok ? result.body.configuration_version : asked;
    return now !== asked ? T(key).replace("{version}", () => now) : null;
  };
  changed.reload = load;
  return changed;
}

function deviceChanged(device) {
  const changed = async () => {
    const result = await api(`${BASE}/device-tokens`);
    if (!result.ok) return null;
    const now = result.body.devices.find((d) => d.id === device.id);
    return !now || now.revoked_at ? T("admin_withdrawn_revoked").replace("{name}", () => device.name) : null;
  };
  changed.reload = async () => { await loadDevices(); render(); };
  return changed;
}

// `active`: what the question would make the account (null: removed).
function accountChanged(account, active) {
  const changed = async () => {
    const result = await api(`${BASE}/accounts`);
    if (!result.ok) return null;
    const now = result.body.accounts.find((a) => a.username === account.username);
    const key = !now ? "admin_withdrawn_account_removed"
      : active === true && now.active ? "admin_withdrawn_account_enabled"
        : active === false && !now.active ? "admin_withdrawn_account_disabled" : null;
    return key ? T(key).replace("{name}", () => account.username) : null;
  };
  changed.reload = async () => { await loadAccounts(); render(); };
  return changed;
}

// --- the document's parts ---------------------------------------------------------------------------------------

function agencies(document = current.document) {
  return document.agencies || [];
}

function agencyOptions() {
  return agencies().map((a) => [a.id, a.short_name || a.name]);
}

function findService(document, id) {
  for (const agency of agencies(document)) {
    const index = (agency.services || []).findIndex((s) => s.id === id);
    if (index >= 0) return { agency, index, service: agency.services[index] };
  }
  return null;
}

function findCounter(document, id) {
  for (const agency of agencies(document)) {
    const index = (agency.counters || []).findIndex((c) => c.id === id);
    if (index >= 0) return { agency, index, counter: agency.counters[index] };
  }
  return null;
}

function allServices() {
  return agencies().flatMap((a) => (a.services || []).map((s) => ({ ...s, agency: a.id, agencyName: a.short_name || a.name })));
}

function allCounters() {
  return agencies().flatMap((a) => (a.counters || []).map((c) => ({ ...c, agency: a.id, agencyName: a.short_name || a.name })));
}

function withoutNulls(object) {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== null && v !== undefined && v !== ""));
}

// Opening hours: the site file writes "07:30-15:30"; Indonesian writes 07.30; both are accepted here.
function hoursText(ranges) {
  const text = listOf(ranges).join(", ");
  if (!text) return "";
  return currentLang() === "id" ? text.replace(/:/g, ".") : text;
}

function hoursList(text) {
  return text
    .split(/[,;]/)
    .map((part) => part.trim().replace(/\s+/g, "").replace(/[–—]/g, "-").replace(/(\d{1,2})[.:](\d{2})/g, (_, h, m) => `${h.padStart(2, "0")}:${m}`))
    .filter(Boolean);
}

// --- services -----------------------------------------------------------------------------------------------------

function serviceFields(isNew) {
  return [
    { key: "agency", label: T("admin_agency"), type: "select", options: agencyOptions(), required: true },
    { key: "id", label: T("admin_id"), required: true, readonly: !isNew, pattern: "[a-z0-9][a-z0-9_\\-]{0,39}", invalid: "admin_invalid_id", hint: T("admin_id_hint") },
    { key: "name", label: T("admin_name"), required: true, wide: true },
    { key: "prefix", label: T("admin_prefix"), required: true, pattern: "[A-Z]{1,3}", invalid: "admin_invalid_prefix", hint: T("admin_prefix_hint") },
    { key: "daily_quota", label: T("admin_daily_quota"), type: "number", min: 1, max: 9999, hint: T("admin_quota_hint") },
    { key: "online_quota", label: T("admin_online_quota"), type: "number", min: 0, max: 9999, hint: T("admin_online_hint") },
    { key: "slot_capacity", label: T("admin_slot_capacity"), type: "number", min: 1, max: 999 },
    { key: "target_wait_minutes", label: T("admin_target_wait"), type: "number", min: 1, max: 600 },
    { key: "service_minutes", label: T("admin_service_minutes"), type: "number", min: 0.5, max: 480, step: 0.5 },
  ];
}

// An edited service or counter (`old`: where it was, from findService/findCounter; null when new) goes back in its
// place when its agency stays, so the kiosk and the TV keep their order of tiles; else to the end of its new agency's.
function place(document, list, old, agencyId, item) {
  if (old && old.agency.id === agencyId) {
    old.agency[list][old.index] = item;
    return;
  }
  if (old) old.agency[list].splice(old.index, 1);
  const agency = agencies(document).find((a) => a.id === agencyId);
  (agency[list] = agency[list] || []).push(item);
}

function editService(id) {
  const isNew = id === null;
  const found = isNew ? null : findService(current.document, id);
  const values = isNew ? { agency: agencies()[0]?.id, target_wait_minutes: 30, service_minutes: 10 } : { ...found.service, agency: found.agency.id };
  edit(isNew ? T("admin_add_service") : `${T("admin_edit")} ${found.service.name}`, serviceFields(isNew), values, (v) => {
    const document = copyOf(current.document);
    const service = withoutNulls({ id: v.id, name: v.name, prefix: v.prefix?.toUpperCase(), daily_quota: v.daily_quota,
      online_quota: v.online_quota, slot_capacity: v.slot_capacity, target_wait_minutes: v.target_wait_minutes, service_minutes: v.service_minutes });
    place(document, "services", isNew ? null : findService(document, id), v.agency, service);
    return save(document);
  });
}

function removeService(id) {
  const name = findService(current.document, id).service.name;
  confirmThen("remove", name, () => {
    const document = copyOf(current.document);
    const found = findService(document, id);
    found.agency.services.splice(found.index, 1);
    for (const agency of agencies(document)) for (const counter of agency.counters || []) counter.services = listOf(counter.services).filter((s) => s !== id);
    return save(document);
  });
}

function servicesPanel() {
  const unservedIds = new Set(unserved().map((w) => w.service.id));
  const rows = allServices().map((s) => el("tr", { "data-service": s.id },
    el("td", { text: s.agencyName }), el("td", {}, el("strong", { text: s.name }), el("br"), el("span", { class: "hint", text: s.id }),
      unservedIds.has(s.id) ? el("span", { class: "unserved", text: T("admin_service_unserved") }) : null),
    el("td", { class: "num", text: s.prefix }), el("td", { class: "num", text: s.daily_quota ?? "∞" }),
    el("td", { class: "num", text: s.online_quota ?? 0 }), el("td", { class: "num", text: s.target_wait_minutes ?? 30 }),
    el("td", { class: "num", text: s.service_minutes ?? 10 }),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "small", text: T("admin_edit"), "aria-label": `${T("admin_edit")} ${s.name}`, onclick: () => editService(s.id) }),
      el("button", { type: "button", class: "small danger", text: T("admin_remove"), "aria-label": `${T("admin_remove")} ${s.name}`, onclick: () => removeService(s.id) }))));
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_tab_services") }),
      el("button", { type: "button", class: "primary", id: "add-service", text: T("admin_add_service"), onclick: () => editService(null) })),
    table([T("admin_agency"), T("admin_name"), T("admin_prefix"), T("admin_daily_quota"), T("admin_online_quota"), T("admin_target_wait"), T("admin_service_minutes"), ""], rows, [2, 3, 4, 5, 6], 1),
  ];
}

// --- counters -----------------------------------------------------------------------------------------------------

function counterFields(isNew) {
  return [
    { key: "agency", label: T("admin_agency"), type: "select", options: agencyOptions(), required: true },
    { key: "id", label: T("admin_id"), required: true, readonly: !isNew, pattern: "[A-Za-z0-9][A-Za-z0-9_\\-]{0,19}", invalid: "admin_invalid_counter_id", hint: T("admin_counter_id_hint") },
    { key: "name", label: T("admin_name"), required: true, hint: T("admin_counter_name_hint") },
    { key: "zone", label: T("admin_zone"), hint: T("admin_zone_hint") },
    { key: "services", label: T("admin_services_served"), type: "checks", options: allServices().map((s) => [s.id, `${s.prefix} · ${s.name}`, s.agency]),
      empty: T("admin_agency_no_services") },
  ];
}

// A counter serves its own agency's services only (the server refuses another's): the list shows the chosen agency's,
// and a service of the agency left behind is no longer ticked.
function servicesOfTheAgency() {
  const agency = $("editor-fields").querySelector("[name=agency]");
  const checks = $("editor-fields").querySelector("fieldset.checks");
  if (!agency || !checks) return;
  const follow = () => {
    let shown = 0;
    for (const label of checks.querySelectorAll("label.check")) {
      label.hidden = label.dataset.group !== agency.value;
      if (label.hidden) label.querySelector("input").checked = false;
      else shown += 1;
    }
    checks.querySelector(".empty").hidden = shown > 0;
  };
  agency.addEventListener("change", follow);
  follow();
}

function editCounter(id) {
  const isNew = id === null;
  const found = isNew ? null : findCounter(current.document, id);
  const values = isNew ? { agency: agencies()[0]?.id, services: [] } : { ...found.counter, agency: found.agency.id };
  edit(isNew ? T("admin_add_counter") : `${T("admin_edit")} ${found.counter.name || id}`, counterFields(isNew), values, (v) => {
    if (!v.services.length) return { ok: false, message: T("admin_counter_needs_service"), problems: [], places: ["services"] };
    const document = copyOf(current.document);
    const counter = withoutNulls({ id: v.id, name: v.name, services: v.services, zone: v.zone });
    place(document, "counters", isNew ? null : findCounter(document, id), v.agency, counter);
    return save(document);
  });
  servicesOfTheAgency();
}

function removeCounter(id) {
  const found = findCounter(current.document, id);
  confirmThen("remove", found.counter.name || id, () => {
    const document = copyOf(current.document);
    const again = findCounter(document, id);
    again.agency.counters.splice(again.index, 1);
    return save(document);
  });
}

function countersPanel() {
  const names = Object.fromEntries(allServices().map((s) => [s.id, s.name]));
  const rows = allCounters().map((c) => el("tr", { "data-counter": c.id },
    el("td", { text: c.agencyName }), el("td", {}, el("strong", { text: c.name || `Loket ${c.id}` }), el("br"), el("span", { class: "hint", text: c.id })),
    el("td", { text: c.zone || "–" }), el("td", { text: listOf(c.services).map((s) => names[s] || s).join(", ") }),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "small", text: T("admin_edit"), "aria-label": `${T("admin_edit")} ${c.name}`, onclick: () => editCounter(c.id) }),
      el("button", { type: "button", class: "small danger", text: T("admin_remove"), "aria-label": `${T("admin_remove")} ${c.name}`, onclick: () => removeCounter(c.id) }))));
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_tab_counters") }),
      el("button", { type: "button", class: "primary", id: "add-counter", text: T("admin_add_counter"), onclick: () => editCounter(null) })),
    table([T("admin_agency"), T("admin_name"), T("admin_zone"), T("admin_services_served"), ""], rows, [], 1),
  ];
}

// --- agencies -----------------------------------------------------------------------------------------------------

function editAgency(id) {
  const isNew = id === null;
  const agency = isNew ? { colour: "#1f4e79" } : agencies().find((a) => a.id === id);
  const fields = [
    { key: "id", label: T("admin_id"), required: true, readonly: !isNew, pattern: "[a-z0-9][a-z0-9_\\-]{0,39}", invalid: "admin_invalid_id", hint: T("admin_id_hint") },
    { key: "name", label: T("admin_name"), required: true, wide: true },
    { key: "short_name", label: T("admin_short_name"), hint: T("admin_short_name_hint") },
    { key: "colour", label: T("admin_colour"), type: "colour" },
    { key: "kind", label: T("admin_agency_kind"), type: "select", options: kindOptions(), hint: T("admin_agency_kind_hint") },
  ];
  edit(isNew ? T("admin_add_agency") : `${T("admin_edit")} ${agency.name}`, fields, { ...agency, kind: agency.kind || "" }, (v) => {
    const document = copyOf(current.document);
    if (isNew) {
      if (!v.id) return T("admin_id");
      document.agencies.push(withoutNulls({ id: v.id, name: v.name, short_name: v.short_name, colour: v.colour, kind: v.kind || null, services: [], counters: [] }));
    } else {
      const target = agencies(document).find((a) => a.id === id);
      Object.assign(target, withoutNulls({ name: v.name, short_name: v.short_name, colour: v.colour }));
      if (v.kind) target.kind = v.kind;
      else delete target.kind;
    }
    return save(document);
  });
}

// The national list of kinds of agency (domain/agency_kinds.py): how the ministry's IKM report groups agencies
// across malls. None chosen: the report counts the agency as not yet classified.
function kindOptions() {
  const kinds = config.agency_kinds || [];
  return [["", T("admin_kind_none")], ...kinds.map((k) => [k.id, currentLang() === "en" ? k.name_en : k.name])];
}

function kindName(id) {
  const kind = (config.agency_kinds || []).find((k) => k.id === id);
  return kind ? (currentLang() === "en" ? kind.name_en : kind.name) : T("admin_kind_none");
}

function removeAgency(id) {
  const agency = agencies().find((a) => a.id === id);
  if ((agency.services || []).length || (agency.counters || []).length) return toast(T("admin_agency_not_empty"), "danger", 10);
  confirmThen("remove", agency.name, () => {
    const document = copyOf(current.document);
    document.agencies = agencies(document).filter((a) => a.id !== id);
    return save(document);
  });
}

function agenciesPanel() {
  const rows = agencies().map((a) => el("tr", { "data-agency": a.id },
    el("td", {}, el("span", { class: "swatch", style: `background:${a.colour || "#1f4e79"}`, "aria-hidden": "true" })),
    el("td", {}, el("strong", { text: a.name }), el("br"), el("span", { class: "hint", text: a.id })),
    el("td", { text: a.short_name || a.name }), el("td", { text: kindName(a.kind) }),
    el("td", { class: "num", text: (a.services || []).length }), el("td", { class: "num", text: (a.counters || []).length }),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "small", text: T("admin_edit"), "aria-label": `${T("admin_edit")} ${a.name}`, onclick: () => editAgency(a.id) }),
      el("button", { type: "button", class: "small danger", text: T("admin_remove"), "aria-label": `${T("admin_remove")} ${a.name}`, onclick: () => removeAgency(a.id) }))));
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_tab_agencies") }),
      el("button", { type: "button", class: "primary", id: "add-agency", text: T("admin_add_agency"), onclick: () => editAgency(null) })),
    table([[T("admin_colour")], T("admin_name"), T("admin_short_name"), T("admin_agency_kind"), T("admin_tab_services"), T("admin_tab_counters"), ""], rows, [4, 5], 1),
  ];
}

// --- opening hours, holidays, special periods ---------------------------------------------------------------------

function hoursOf(document) {
  document.site.hours = document.site.hours || {};
  return document.site.hours;
}

function weekFields(values) {
  return WEEKDAYS.map((day) => ({ key: day, label: T(`day_${day}`), type: "hours", hint: day === "mon" ? T("admin_hours_hint") : null, value: values[day] }));
}

function editWeek() {
  const hours = current.document.site.hours || {};
  edit(T("admin_weekly_hours"), weekFields(hours), hours, (v) => {
    const document = copyOf(current.document);
    const target = hoursOf(document);
    for (const day of WEEKDAYS) {
      if (v[day].length) target[day] = v[day];
      else delete target[day];
    }
    return save(document);
  });
}

// A holiday may have a name ("Hari Natal"), kept beside the list (`holiday_names`): the kiosk says it when closed.
function addHoliday() {
  const fields = [
    { key: "day", label: T("admin_date"), type: "date", required: true },
    { key: "name", label: T("admin_holiday_name"), wide: true, hint: T("admin_holiday_name_hint") },
  ];
  edit(T("admin_add_holiday"), fields, {}, (v) => {
    const document = copyOf(current.document);
    const target = hoursOf(document);
    // a day already a holiday is said at the field (the server refuses a list that says a day twice)
    if (listOf(target.holidays).includes(v.day)) {
      return { ok: false, message: T("admin_holiday_exists").replace("{day}", () => dateWords(v.day)), problems: [], places: ["day"] };
    }
    target.holidays = [...listOf(target.holidays), v.day].sort();
    if (v.name) target.holiday_names = { ...(target.holiday_names || {}), [v.day]: v.name };
    return save(document);
  });
}

function removeHoliday(day) {
  confirmThen("remove", dateWords(day), () => {
    const document = copyOf(current.document);
    const target = hoursOf(document);
    target.holidays = listOf(target.holidays).filter((d) => d !== day);
    if (target.holiday_names) delete target.holiday_names[day]; // a name without its day is refused
    if (target.holiday_names && !Object.keys(target.holiday_names).length) delete target.holiday_names;
    return save(document);
  });
}

function editPeriod(index) {
  const isNew = index === null;
  const period = isNew ? {} : current.document.site.hours.periods[index];
  const fields = [
    { key: "name", label: T("admin_period_name"), required: true, wide: true, hint: T("admin_period_hint") },
    { key: "from", label: T("admin_from"), type: "date", required: true },
    { key: "to", label: T("admin_to"), type: "date", required: true },
    ...weekFields(period),
  ];
  edit(isNew ? T("admin_add_period") : `${T("admin_edit")} ${period.name}`, fields, period, (v) => {
    const document = copyOf(current.document);
    const target = hoursOf(document);
    const next = { name: v.name, from: v.from, to: v.to };
    for (const day of WEEKDAYS) if (v[day].length) next[day] = v[day];
    target.periods = target.periods || [];
    if (isNew) target.periods.push(next);
    else target.periods[index] = next;
    return save(document);
  });
}

function removePeriod(index) {
  const period = current.document.site.hours.periods[index];
  confirmThen("remove", period.name, () => {
    const document = copyOf(current.document);
    hoursOf(document).periods.splice(index, 1);
    return save(document);
  });
}

function hoursPanel() {
  const hours = current.document.site.hours || {};
  const week = WEEKDAYS.map((day) => el("tr", {}, el("th", { scope: "row", text: T(`day_${day}`) }), el("td", { text: hoursText(hours[day]) || T("admin_closed") })));
  const named = (day) => (hours.holiday_names?.[day] ? `${dateWords(day)} · ${hours.holiday_names[day]}` : dateWords(day));
  const holidays = listOf(hours.holidays).map((day) => el("li", { "data-holiday": day }, el("span", { text: named(day) }),
    el("button", { type: "button", class: "small danger", text: T("admin_remove"), "aria-label": `${T("admin_remove")} ${dateWords(day)}`, onclick: () => removeHoliday(day) })));
  const periods = (hours.periods || []).map((p, i) => el("li", { "data-period": p.name },
    el("span", {}, el("strong", { text: p.name }), ` · ${dateWords(p.from)} – ${dateWords(p.to)}`),
    el("button", { type: "button", class: "small", text: T("admin_edit"), "aria-label": `${T("admin_edit")} ${p.name}`, onclick: () => editPeriod(i) }),
    el("button", { type: "button", class: "small danger", text: T("admin_remove"), "aria-label": `${T("admin_remove")} ${p.name}`, onclick: () => removePeriod(i) })));
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_weekly_hours") }),
      el("button", { type: "button", id: "edit-week", text: T("admin_edit"), onclick: editWeek })),
    el("table", { class: "data week" }, el("tbody", {}, ...week)),
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_holidays") }),
      el("button", { type: "button", id: "add-holiday", text: T("admin_add_holiday"), onclick: addHoliday })),
    holidays.length ? el("ul", { class: "plain" }, ...holidays) : el("p", { class: "hint", text: T("admin_none") }),
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_periods") }),
      el("button", { type: "button", id: "add-period", text: T("admin_add_period"), onclick: () => editPeriod(null) })),
    el("p", { class: "hint", text: T("admin_period_hint") }),
    periods.length ? el("ul", { class: "plain" }, ...periods) : el("p", { class: "hint", text: T("admin_none") }),
  ];
}

// --- the site and its screens -------------------------------------------------------------------------------------

function editSite() {
  const s = current.document.site;
  const fields = [
    { key: "name", label: T("admin_site_name"), required: true, wide: true },
    { key: "timezone", label: T("admin_timezone"), type: "select", options: [["Asia/Jakarta", "WIB (Asia/Jakarta)"], ["Asia/Pontianak", "WIB (Asia/Pontianak)"], ["Asia/Makassar", "WITA (Asia/Makassar)"], ["Asia/Jayapura", "WIT (Asia/Jayapura)"]] },
    { key: "province", label: T("admin_province"), type: "select", options: [["", "–"], ...(config.provinces || []).map((p) => [p.name, p.name])], hint: T("admin_province_hint") },
    { key: "regency", label: T("admin_regency"), hint: T("admin_regency_hint") },
    // The server's limit (GET .../configuration `running_text_max`), counted as it counts, spaces folded
    { key: "running_text", label: T("admin_running_text"), wide: true, hint: T("admin_running_text_hint"), folded: current.running_text_max },
    { key: "enforce_hours", label: T("admin_enforce_hours"), type: "checkbox", hint: T("admin_enforce_hours_hint") },
    // Printed on an ASCII-only slip and typed by a citizen: the site file's checks, said in the page's words first.
    { key: "wifi", label: T("admin_wifi"), wide: true, hint: T("admin_wifi_hint"), pattern: "[ -~]{1,32}", invalid: "admin_invalid_wifi" },
    { key: "wifi_password", label: T("admin_wifi_password"), wide: true, hint: T("admin_wifi_password_hint"), pattern: "[ -~]{8,63}", invalid: "admin_invalid_wifi_password" },
  ];
  // What the form shows, the site file's defaults for what it leaves out: only what differs from it is written, so
  // a new running text is not also a change of the time zone or of refusing tickets outside hours (in the audit log).
  const shown = { name: s.name, timezone: s.timezone || "Asia/Jakarta", province: provinceName(), regency: s.regency || "",
    running_text: s.running_text || "", enforce_hours: s.enforce_hours !== false, wifi: s.wifi || "", wifi_password: s.wifi_password || "" };
  edit(T("admin_edit_site"), fields, shown, (v) => {
    const document = copyOf(current.document);
    const next = { name: v.name, timezone: v.timezone, province: v.province || "", regency: (v.regency || "").trim(),
      running_text: v.running_text || "", enforce_hours: v.enforce_hours, wifi: v.wifi || "", wifi_password: v.wifi_password || "" };
    for (const [key, value] of Object.entries(next)) if (value !== shown[key]) document.site[key] = value;
    // none given: left out of the document, as a site file leaves it out
    for (const key of ["province", "regency", "wifi", "wifi_password"]) if (!document.site[key]) delete document.site[key];
    return save(document);
  });
  // A province keeps one time zone by law (WIB, WITA or WIT), and the server refuses any other: choosing the
  // province chooses its zone; one already of that zone by another name (Asia/Pontianak, WIB) is kept.
  $("f-province").addEventListener("change", (event) => {
    const found = (config.provinces || []).find((p) => p.name === event.target.value);
    if (found && found.timezone && zoneLabel($("f-timezone").value) !== zoneLabel(found.timezone)) $("f-timezone").value = found.timezone;
  });
}

// The province as the list names it, however the site file wrote it: by its name or code, else (a short form such
// as "DIY") as the server read the site file when the page was opened.
function provinceName() {
  const written = String(current.document.site.province || "").trim().toLowerCase().replace(/^provinsi\s+/, "");
  if (!written) return "";
  const list = config.provinces || [];
  const found = list.find((p) => p.name.toLowerCase() === written || p.code === written) || list.find((p) => p.code === site.province);
  return found ? found.name : "";
}

function zones() {
  return [...new Set(allCounters().map((c) => c.zone).filter(Boolean))].sort();
}

function editScreen(id) {
  const isNew = id === null;
  const screen = isNew ? { speaker: true } : siteScreens().find((s) => s.id === id);
  const fields = [
    { key: "id", label: T("admin_id"), required: true, readonly: !isNew, pattern: "[a-z0-9][a-z0-9_\\-]{0,39}", invalid: "admin_invalid_id", hint: T("admin_id_hint") },
    { key: "name", label: T("admin_name"), required: true, wide: true },
    { key: "agencies", label: T("admin_screen_agencies"), type: "checks", options: agencyOptions(), hint: T("admin_screen_scope_hint") },
    { key: "zones", label: T("admin_screen_zones"), type: "checks", options: zones().map((z) => [z, z]) },
    { key: "speaker", label: T("admin_speaker"), type: "checkbox", hint: T("admin_speaker_hint") },
  ];
  edit(isNew ? T("admin_add_screen") : `${T("admin_edit")} ${screen.name}`, fields, screen, (v) => {
    const document = copyOf(current.document);
    // The implicit lobby is written out with the first screen named, so it stays (with the TVs that show it).
    document.screens = siteScreens(document).map(({ implicit, ...screen }) => screen);
    const next = withoutNulls({ id: v.id || id, name: v.name, speaker: v.speaker });
    if (v.agencies.length) next.agencies = v.agencies;
    if (v.zones.length) next.zones = v.zones;
    const index = document.screens.findIndex((s) => s.id === id);
    if (isNew) document.screens.push(next);
    else document.screens[index] = next;
    return save(document);
  });
}

function removeScreen(id) {
  const screen = (current.document.screens || []).find((s) => s.id === id);
  confirmThen("remove", screen.name, () => {
    const document = copyOf(current.document);
    document.screens = document.screens.filter((s) => s.id !== id);
    return save(document);
  });
}

function sitePanel() {
  const s = current.document.site;
  const names = Object.fromEntries(agencyOptions());
  const rows = siteScreens().map((sc) => el("tr", { "data-screen": sc.id },
    el("td", {}, el("strong", { text: sc.name }), el("br"), el("span", { class: "hint", text: sc.implicit ? `${sc.id} · ${T("admin_screen_implicit")}` : sc.id })),
    el("td", { text: [...listOf(sc.agencies).map((a) => names[a] || a), ...listOf(sc.zones)].join(", ") || T("admin_whole_hall") }),
    el("td", { text: sc.speaker === false ? T("admin_no") : T("admin_yes") }),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "small", text: T("admin_edit"), "aria-label": `${T("admin_edit")} ${sc.name}`, onclick: () => editScreen(sc.id) }),
      sc.implicit ? null : el("button", { type: "button", class: "small danger", text: T("admin_remove"), "aria-label": `${T("admin_remove")} ${sc.name}`, onclick: () => removeScreen(sc.id) }))));
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_site") }),
      el("button", { type: "button", id: "edit-site", text: T("admin_edit"), onclick: editSite })),
    el("dl", { class: "facts" },
      el("dt", { text: T("admin_site_name") }), el("dd", { text: s.name }),
      el("dt", { text: T("admin_timezone") }), el("dd", { text: `${zoneLabel(s.timezone || "Asia/Jakarta")} (${s.timezone || "Asia/Jakarta"})` }),
      el("dt", { text: T("admin_province") }), el("dd", { text: provinceName() || "–" }),
      el("dt", { text: T("admin_regency") }), el("dd", { text: s.regency || "–" }),
      el("dt", { text: T("admin_running_text") }), el("dd", { text: s.running_text || "–" }),
      // Off (an evening's try-out): said beside it, as the dashboard's alert says it until it is on again.
      el("dt", { text: T("admin_enforce_hours") }), s.enforce_hours === false
        ? el("dd", { id: "site-enforce-hours" }, T("admin_no"), el("span", { class: "hint warning-text", text: ` · ${T("admin_enforce_hours_off")}` }))
        : el("dd", { id: "site-enforce-hours", text: T("admin_yes") }),
      el("dt", { text: T("admin_wifi") }), el("dd", { id: "site-wifi", text: s.wifi ? [s.wifi, s.wifi_password].filter(Boolean).join(" · ") : "–" })),
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_screens") }),
      el("button", { type: "button", class: "primary", id: "add-screen", text: T("admin_add_screen"), onclick: () => editScreen(null) })),
    el("p", { class: "hint", text: T("admin_screens_hint") }),
    table([T("admin_name"), T("admin_screen_shows"), T("admin_speaker"), ""], rows, [], 0),
    ...gatewayPart(),
  ];
}

// --- checking the WhatsApp/SMS gateway (admins) -----------------------------------------------------------------------

// "Kirim pesan uji": one test message through the site's gateway to a number the admin types (POST .../gateway/test),
// then its state as it changes (the GET, read every 2 seconds until it is sent, given up or skipped), in the page's
// language, the problem's words when it fails. The typed number stays in this page only; the server answers it
// masked. Kept across redraws (a save, the language) in `gateway`.
const gateway = { offered: null, phone: "", test: null, error: "", timer: null, sending: false };
const GATEWAY_FINAL = new Set(["sent", "dead", "skipped"]);

async function loadGateway() {
  if (me.role !== "admin") return;
  const result = await api(BASE);
  gateway.offered = result.ok ? Boolean(result.body.notify && result.body.notify.offered) : null;
}

function gatewayPart() {
  if (me.role !== "admin" || gateway.offered === null) return [];
  const head = el("div", { class: "panel-head" }, el("h3", { id: "gateway-title", text: T("admin_gateway") }));
  if (!gateway.offered) {
    return [el("section", { id: "gateway-test", class: "gateway-test", "aria-labelledby": "gateway-title" }, head,
      el("p", { id: "gateway-none", text: T("admin_gateway_none") }))];
  }
  const phone = el("input", { id: "gateway-phone", name: "phone", type: "tel", inputMode: "tel", autocomplete: "off",
    maxLength: 24, required: true, value: gateway.phone, "aria-describedby": "gateway-phone-hint",
    "aria-invalid": gateway.error ? "true" : "false" });
  phone.addEventListener("input", () => { gateway.phone = phone.value; });
  const form = el("form", { id: "gateway-test-form", class: "gateway-form", noValidate: true },
    el("label", { class: "field" }, el("span", { text: T("admin_gateway_phone") }), phone),
    el("button", { type: "submit", class: "primary", id: "gateway-send", disabled: gateway.sending, text: T("admin_gateway_send") }));
  form.addEventListener("submit", sendGatewayTest);
  return [el("section", { id: "gateway-test", class: "gateway-test", "aria-labelledby": "gateway-title" }, head,
    el("p", { class: "hint", id: "gateway-phone-hint", text: T("admin_gateway_hint") }), form,
    el("div", { id: "gateway-test-state", class: "gateway-state", role: "status", "aria-live": "polite" }, ...gatewayStateLines()))];
}

// What the page says of the test: a refusal of the API, else the message's state.
function gatewayStateLines() {
  if (gateway.error) return [el("p", { class: "error", "data-state": "refused", text: gateway.error })];
  const test = gateway.test;
  if (!test) return [];
  const words = test.error_words ? (test.error_words[currentLang()] || test.error_words.id) : "";
  const said = {
    queued: () => T("admin_gateway_queued"),
    sent: () => T("admin_gateway_sent").replace("{time}", () => shortTime(test.sent_at)),
    retrying: () => T("admin_gateway_retrying").replace("{time}", () => shortTime(test.next_try_at)).replace("{words}", () => words),
    dead: () => counted("admin_gateway_dead", test.attempts).replace("{n}", () => test.attempts).replace("{words}", () => words),
    skipped: () => T("admin_gateway_skipped").replace("{reason}", () => test.last_error || "–"),
  }[test.state];
  const lines = [el("p", { class: `said state-${test.state}`, "data-state": test.state,
    text: `${T("admin_gateway_to").replace("{phone}", () => test.phone || "")} ${said ? said() : test.state}` })];
  if (test.gateway_paused && test.state !== "sent") lines.push(el("p", { class: "hint", text: T("admin_gateway_paused") }));
  if (test.outcome_unknown && test.state !== "sent") lines.push(el("p", { class: "hint", text: T("deliveries_unknown") }));
  // the technical text, smaller, for whoever mends the gateway
  if (test.error_kind && test.last_error) lines.push(el("p", { class: "hint detail", text: test.last_error }));
  return lines;
}

function redrawGatewayState() {
  const box = $("gateway-test-state");
  if (box) box.replaceChildren(...gatewayStateLines());
  const phone = $("gateway-phone");
  if (phone) phone.setAttribute("aria-invalid", gateway.error ? "true" : "false");
  const button = $("gateway-send");
  if (button) button.disabled = gateway.sending;
}

async function sendGatewayTest(event) {
  event.preventDefault();
  clearTimeout(gateway.timer);
  gateway.sending = true;
  gateway.error = "";
  gateway.test = null;
  redrawGatewayState();
  const result = await api(`${BASE}/gateway/test`, { method: "POST", body: { phone: gateway.phone.trim(), lang: currentLang() } });
  gateway.sending = false;
  if (!result.ok) {
    gateway.error = errorText(result.body);
    redrawGatewayState();
    if (result.body && result.body.error && result.body.error.details && result.body.error.details.field === "phone") $("gateway-phone")?.focus();
    return;
  }
  gateway.test = result.body;
  redrawGatewayState();
  followGatewayTest();
}

function followGatewayTest() {
  clearTimeout(gateway.timer);
  if (!gateway.test || GATEWAY_FINAL.has(gateway.test.state)) return;
  gateway.timer = setTimeout(async () => {
    const result = await api(`${BASE}/gateway/test/${encodeURIComponent(gateway.test.id)}`);
    if (result.ok) gateway.test = result.body;
    redrawGatewayState();
    followGatewayTest();
  }, 2000);
}

// --- dashboard alerts -----------------------------------------------------------------------------------------------

// When the dashboard alerts ([alerts] of the site file): the thresholds in force, their defaults and bounds are the
// server's (GET .../configuration `alerts`), so the form checks what the server will. Only what was changed is written
// into the document, so the audit log names the threshold that changed and a site file keeps its defaults.
function alertValue(key, value) {
  const number = Number(value).toLocaleString(currentLang() === "en" ? "en-GB" : "id-ID");
  return (key.endsWith("_times") ? T("admin_alert_times") : counted("admin_alert_minutes", Number(value))).replace("{n}", () => number);
}

function editAlerts() {
  const alerts = current.alerts || {};
  const keys = Object.keys(alerts);
  const fields = keys.map((key) => ({
    key, label: T(`admin_alert_${key}`), type: "number", required: true, min: alerts[key].low, max: alerts[key].high,
    step: key.endsWith("_times") ? 0.5 : undefined,
    hint: T(`admin_alert_${key}_hint`).replace("{default}", () => alertValue(key, alerts[key].default)),
  }));
  const shown = Object.fromEntries(keys.map((key) => [key, alerts[key].value]));
  edit(T("admin_edit_alerts"), fields, shown, (v) => {
    const document = copyOf(current.document);
    const next = { ...(document.alerts || {}) };
    for (const key of keys) if (v[key] !== shown[key]) next[key] = v[key];
    if (Object.keys(next).length) document.alerts = next;
    return save(document);
  });
}

function alertsPanel() {
  const alerts = current.alerts || {};
  const facts = Object.entries(alerts).flatMap(([key, a]) => [
    el("dt", { text: T(`admin_alert_${key}`) }),
    el("dd", { "data-alert": key, text: a.value === a.default ? alertValue(key, a.value)
      : `${alertValue(key, a.value)} (${T("admin_alert_default").replace("{value}", () => alertValue(key, a.default))})` }),
  ]);
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_alerts") }),
      el("button", { type: "button", id: "edit-alerts", text: T("admin_edit"), "aria-label": T("admin_edit_alerts"), onclick: editAlerts })),
    el("p", { class: "hint", text: T("admin_alerts_hint") }),
    el("dl", { class: "facts", id: "alert-thresholds" }, ...facts),
  ];
}

// --- calls and queue: how calls are said, which ticket comes next, breaks, online booking ----------------------------

// The site file's [announcements], [routing], [site.breaks] and [booking], as in force (each its default where the
// document leaves it out), with the bounds the server takes (GET .../configuration `queue_settings`): each said in
// words, changed in a form that checks what the server will. Only what was changed is written into the document, so
// a site file keeps its defaults and the audit log names what changed.
function callSettings() {
  return current.queue_settings;
}

function bounded(section, key) {
  const [min, max] = callSettings().bounds[section][key];
  return { min, max };
}

function numberWords(n) {
  return Number(n).toLocaleString(currentLang() === "en" ? "en-GB" : "id-ID");
}

// A field's hint with its bounds ("1-3"), as the server takes them.
function boundHint(key, section, field) {
  const { min, max } = bounded(section, field);
  return T(key).replace("{min}", () => numberWords(min)).replace("{max}", () => numberWords(max));
}

// The values changed by the form written over the document's own section (a key left out stays out while it keeps
// its default value).
function changedSection(existing, shown, values) {
  const next = { ...(existing || {}) };
  for (const [key, value] of Object.entries(values)) {
    if (JSON.stringify(value) !== JSON.stringify(shown[key])) next[key] = value;
  }
  return next;
}

function announcementWords(a) {
  return [
    ["languages", T("admin_calls_languages"), T(a.languages.includes("en") ? "admin_calls_languages_en" : "admin_calls_languages_id")],
    ["reading", T("admin_calls_reading"), T(`admin_calls_reading_${a.reading}`)],
    ["template_id", T("admin_calls_template_id"), a.template_id],
    ["template_en", T("admin_calls_template_en"), a.languages.includes("en") ? a.template_en : `${a.template_en} (${T("admin_calls_template_en_unused")})`],
    ["repeat", T("admin_calls_repeat"), counted("admin_calls_times", a.repeat).replace("{n}", () => numberWords(a.repeat))],
    ["chime", T("admin_calls_chime"), a.chime ? T("admin_calls_chime_on") : T("admin_no")],
  ];
}

function announcementFields() {
  const a = callSettings().announcements;
  const template = (key) => ({ key, label: T(`admin_calls_${key}`), required: true, wide: true,
    hint: T(`admin_calls_${key}_hint`).replace("{max}", () => numberWords(callSettings().template_max)) });
  return [
    { key: "languages", label: T("admin_calls_languages"), type: "select", wide: true,
      options: [["id", T("admin_calls_languages_id")], ["id,en", T("admin_calls_languages_en")]] },
    { key: "reading", label: T("admin_calls_reading"), type: "select", wide: true,
      options: [["number", T("admin_calls_reading_number")], ["digits", T("admin_calls_reading_digits")]] },
    template("template_id"),
    template("template_en"),
    { key: "repeat", label: T("admin_calls_repeat"), type: "number", required: true, ...bounded("announcements", "repeat"),
      hint: boundHint("admin_calls_repeat_hint", "announcements", "repeat") },
    { key: "chime", label: T("admin_calls_chime_field"), type: "checkbox" },
  ].map((f) => ({ ...f, value: a[f.key] }));
}

// The form's values as the document's [announcements].
function announcementsOf(v) {
  return { languages: v.languages.split(","), reading: v.reading, template_id: v.template_id || "", template_en: v.template_en || "",
    repeat: v.repeat, chime: v.chime };
}

function editAnnouncements() {
  const a = callSettings().announcements;
  const shown = { ...a, languages: a.languages.join(",") };
  const fields = announcementFields();
  edit(T("admin_calls_edit_announcements"), fields, shown, (v) => {
    const document = copyOf(current.document);
    document.announcements = changedSection(document.announcements, a, announcementsOf(v));
    return save(document);
  });
  // "Dengar contoh": the call the lobby TVs would play with the form as it is, before it is saved.
  const state = el("p", { class: "hint sample-state", id: "sample-state", role: "status" });
  const button = el("button", { type: "button", id: "hear-sample", text: T("admin_calls_hear"), onclick: () => hearSample(fields, state, button) });
  $("editor-fields").append(el("div", { class: "field wide sample" }, button,
    el("span", { class: "hint", text: T("admin_calls_hear_hint").replace("{counter}", () => allCounters()[0]?.name || "") }), state));
}

let sampleAudio = null;

async function hearSample(fields, state, button) {
  const form = $("editor-form");
  if (!form.reportValidity()) return;
  const values = valuesOf(form, fields);
  button.disabled = true;
  delete state.dataset.seconds;
  state.textContent = T("admin_calls_hear_loading");
  const result = await api(`${BASE}/announcements/sample`, { method: "POST", body: { announcements: announcementsOf(values) }, raw: true });
  button.disabled = false;
  if (!result.ok) {
    state.textContent = "";
    const body = await result.response?.json().catch(() => null);
    const said = body?.error?.details?.problems_text;
    const problems = said ? said[currentLang()] || said.id : [];
    showProblems(problems.length ? T("admin_calls_hear_refused") : errorText(body), problems, false, problems.length ? body.error.details.problems : []);
    return;
  }
  $("editor-error").replaceChildren();
  clearProblems();
  if (sampleAudio) sampleAudio.pause();
  const url = URL.createObjectURL(await result.response.blob());
  sampleAudio = new Audio(url);
  sampleAudio.addEventListener("ended", () => { state.textContent = T("admin_calls_hear_done"); URL.revokeObjectURL(url); });
  // how long it lasts, for whoever checks what was heard (a test): more repeats, more languages, longer
  sampleAudio.addEventListener("loadedmetadata", () => { state.dataset.seconds = String(sampleAudio.duration); });
  state.textContent = T("admin_calls_hear_playing");
  try {
    await sampleAudio.play();
  } catch {
    state.textContent = T("admin_calls_hear_blocked");
  }
}

function routingWords(r) {
  const streak = r.priority_max_streak === 0 ? T("admin_calls_priority_off")
    : counted("admin_calls_priority_on", r.priority_max_streak).replace("{n}", () => numberWords(r.priority_max_streak));
  return [
    ["order", T("admin_calls_order"), T(`admin_calls_order_${r.order}`)],
    ["priority_max_streak", T("admin_calls_priority"), streak],
  ];
}

function editRouting() {
  const r = callSettings().routing;
  const fields = [
    { key: "order", label: T("admin_calls_order"), type: "select", wide: true,
      options: [["fifo", T("admin_calls_order_fifo")], ["service_order", T("admin_calls_order_service_order")]] },
    { key: "priority_max_streak", label: T("admin_calls_priority"), type: "number", required: true, ...bounded("routing", "priority_max_streak"),
      hint: boundHint("admin_calls_priority_hint", "routing", "priority_max_streak"), wide: true },
  ];
  edit(T("admin_calls_edit_routing"), fields, r, (v) => {
    const document = copyOf(current.document);
    document.routing = changedSection(document.routing, r, { order: v.order, priority_max_streak: v.priority_max_streak });
    return save(document);
  });
}

// "11:45-13:45" as the page's language writes a time.
function windowText(window) {
  return currentLang() === "id" ? window.replace(/:/g, ".") : window;
}

function breaksWords(b) {
  if (!b) return [["breaks", T("admin_calls_breaks_when"), T("admin_calls_breaks_none")]];
  const [start, end] = windowText(b.window).split("-");
  const [h1, m1, h2, m2] = b.window.split(/[:-]/).map(Number);
  const all = b.minutes >= h2 * 60 + m2 - (h1 * 60 + m1);
  return [["breaks", T("admin_calls_breaks_when"), T(all ? "admin_calls_breaks_all" : "admin_calls_breaks_turns")
    .replace("{minutes}", () => numberWords(b.minutes)).replace("{start}", () => start).replace("{end}", () => end)]];
}

function editBreaks() {
  const b = callSettings().breaks;
  const fields = [
    { key: "has_breaks", label: T("admin_calls_breaks_field"), type: "checkbox", hint: T("admin_calls_breaks_field_hint") },
    { key: "window", label: T("admin_calls_window"), pattern: "\\s*\\d{1,2}[.:]\\d{2}\\s*[-–]\\s*\\d{1,2}[.:]\\d{2}\\s*", invalid: "admin_invalid_window",
      hint: T("admin_calls_window_hint") },
    { key: "minutes", label: T("admin_calls_break_minutes"), type: "number", min: 1, max: 1440, hint: T("admin_calls_break_minutes_hint") },
  ];
  const shown = { has_breaks: Boolean(b), window: b ? windowText(b.window) : windowText("11:45-13:45"), minutes: b ? b.minutes : 45 };
  edit(T("admin_calls_edit_breaks"), fields, shown, (v) => {
    const document = copyOf(current.document);
    if (!v.has_breaks) delete document.site.breaks;
    else document.site.breaks = { window: hoursList(v.window || "")[0] || "", minutes: v.minutes };
    return save(document);
  });
  // No breaks: the window and the minutes are not asked (nor checked).
  const has = $("f-has_breaks");
  const follow = () => {
    for (const id of ["f-window", "f-minutes"]) {
      $(id).disabled = !has.checked;
      $(id).required = has.checked;
      $(id).dispatchEvent(new Event("input"));
    }
  };
  has.addEventListener("change", follow);
  follow();
}

const BOOKING_KEYS = ["slot_minutes", "days_ahead", "checkin_before_minutes", "checkin_after_minutes", "per_phone", "codes_per_address", "codes_per_hour"];

function bookingWords(k) {
  const n = (key, value) => counted(key, value).replace("{n}", () => numberWords(value));
  const gateway = callSettings().gateway;
  const verify = !k.verify_phone ? T("admin_calls_verify_off") : gateway ? T("admin_calls_verify_on") : T("admin_calls_verify_no_gateway");
  return [
    ["slot_minutes", T("admin_calls_slot_minutes"), n("admin_calls_minutes", k.slot_minutes)],
    ["days_ahead", T("admin_calls_days_ahead"), k.days_ahead === 0 ? T("admin_calls_days_ahead_today") : n("admin_calls_days_ahead_words", k.days_ahead)],
    ["checkin", T("admin_calls_checkin"), T("admin_calls_checkin_words").replace("{before}", () => numberWords(k.checkin_before_minutes)).replace("{after}", () => numberWords(k.checkin_after_minutes))],
    ["per_phone", T("admin_calls_per_phone"), n("admin_calls_per_phone_words", k.per_phone)],
    ["verify_phone", T("admin_calls_verify"), verify],
    ["codes_per_address", T("admin_calls_codes_per_address"), n("admin_calls_codes_words", k.codes_per_address)],
    ["codes_per_hour", T("admin_calls_codes_per_hour"), n("admin_calls_codes_words", k.codes_per_hour)],
  ];
}

function editBooking() {
  const k = callSettings().booking;
  const fields = [
    ...BOOKING_KEYS.map((key) => ({ key, label: T(`admin_calls_${key}_field`), type: "number", required: true, ...bounded("booking", key),
      hint: boundHint(`admin_calls_${key}_hint`, "booking", key) })),
    { key: "verify_phone", label: T("admin_calls_verify_field"), type: "checkbox",
      hint: T(callSettings().gateway ? "admin_calls_verify_hint" : "admin_calls_verify_hint_no_gateway") },
  ];
  edit(T("admin_calls_edit_booking"), fields, k, (v) => {
    const document = copyOf(current.document);
    document.booking = changedSection(document.booking, k, Object.fromEntries([...BOOKING_KEYS, "verify_phone"].map((key) => [key, v[key]])));
    return save(document);
  });
}

function factList(id, words) {
  return el("dl", { class: "facts stacked", id }, ...words.flatMap(([key, label, said]) => [
    el("dt", { text: label }), el("dd", { "data-setting": key, text: said })]));
}

function callsPanel() {
  const s = callSettings();
  const part = (id, title, hint, edit, words) => [
    el("div", { class: "panel-head" }, el("h3", { id: `${id}-title`, text: T(title) }),
      el("button", { type: "button", id: `edit-${id}`, text: T("admin_edit"), "aria-label": `${T("admin_edit")} ${T(title).toLowerCase()}`, onclick: edit })),
    el("p", { class: "hint", text: T(hint) }),
    factList(`${id}-settings`, words),
  ];
  return [
    ...part("announcements", "admin_calls_announcements", "admin_calls_announcements_hint", editAnnouncements, announcementWords(s.announcements)),
    ...part("routing", "admin_calls_routing", "admin_calls_routing_hint", editRouting, routingWords(s.routing)),
    ...part("breaks", "admin_calls_breaks", "admin_calls_breaks_hint", editBreaks, breaksWords(s.breaks)),
    ...part("booking", "admin_calls_booking", "admin_calls_booking_hint", editBooking, bookingWords(s.booking)),
  ];
}

// --- devices ------------------------------------------------------------------------------------------------------

async function loadDevices() {
  const result = await api(`${BASE}/device-tokens`);
  devices = result.ok ? result.body.devices : [];
  if (!result.ok) $("admin-error").textContent = errorText(result.body);
}

// A screen's name as its site file says it ("Layar Lantai 1"), its code in brackets.
function screenName(id) {
  const found = siteScreens().find((s) => s.id === id);
  return found?.name ? `${found.name} (${id})` : id;
}

// Only a display shows a screen: the field goes away for a kiosk.
function screenOnlyForDisplays() {
  const kind = $("editor-fields").querySelector("[name=kind]");
  const screen = $("editor-fields").querySelector("[name=screen]")?.closest("label");
  if (!kind || !screen) return;
  const follow = () => { screen.hidden = kind.value !== "display"; };
  kind.addEventListener("change", follow);
  follow();
}

function issueDevice() {
  const fields = [
    { key: "kind", label: T("admin_device_kind"), type: "select", required: true, options: [["display", T("admin_kind_display")], ["kiosk", T("admin_kind_kiosk")]] },
    { key: "name", label: T("admin_name"), required: true, hint: T("admin_device_name_hint") },
    { key: "screen", label: T("admin_screen"), type: "select", options: screens.map((s) => [s, screenName(s)]), hint: T("admin_screen_hint") },
  ];
  edit(T("admin_issue_device"), fields, { kind: "display", screen: screens[0] }, async (v) => {
    const body = { kind: v.kind, name: v.name };
    if (v.kind === "display") body.screen = v.screen;
    const result = await api(`${BASE}/device-tokens`, { method: "POST", body });
    if (!result.ok) return refused(result.body);
    await loadDevices();
    render();
    showToken(result.body);
    return true;
  });
  screenOnlyForDisplays();
}

// The token is shown once (stored only as a hash): the address to open on the device, to copy now, and its QR code
// for a phone or tablet kiosk. The address is the server's on the LAN (it says what it rests on), never this
// browser's own: an admin on the server machine itself browses at 127.0.0.1, which no TV can open.
function showToken(issued) {
  const address = issued.address;
  const en = document.documentElement.lang === "en";
  const qr = el("div", { class: "token-qr", role: "img", "aria-label": T("admin_device_qr") });
  qr.innerHTML = issued.qr_svg; // segno's SVG, drawn by the server from the address
  const box = el("div", { class: "token-box", role: "status" },
    el("p", { text: T("admin_token_once") }),
    el("div", { class: "token-row" },
      el("div", { class: "token-text" },
        el("input", { type: "text", readOnly: true, value: address, id: "new-device-address", "aria-label": T("admin_device_address") }),
        el("button", { type: "button", class: "small", text: T("admin_copy"), onclick: () => { $("new-device-address").select(); navigator.clipboard?.writeText(address); } }),
        el("p", { class: issued.reach.reachable ? "hint" : "hint warning-text", id: "new-device-reach", text: en ? issued.reach.message_en : issued.reach.message })),
      qr));
  $("panel").prepend(box);
  focusNext = { id: "new-device-address" };
}

// A TV or kiosk started at /perangkat, or opened without a token, shows a code (application/device_pairing.py): typed
// here with what the device is to be, a new entry (kind, name, screen) or an entry already registered (which takes
// the new token), it starts by itself within seconds. Nothing to copy: the token never leaves the device.
// A code of a mall's TV or kiosk page is that page's: once the code is typed in full, the form asks what it is, says
// so ("Kode dari layar TV “lobby”") and fixes kind and screen (and offers only entries of that kind and screen); a
// code of /perangkat leaves them free. The server refuses another kind anyway.
function pairDevice() {
  const pairable = devices.filter((d) => d.kind === "display" || d.kind === "kiosk");
  const fields = [
    { key: "code", label: T("admin_pair_code"), required: true, hint: T("admin_pair_code_hint"), pattern: "\\s*[A-Za-z0-9]{3}[\\s-]?[A-Za-z0-9]{3}\\s*", invalid: "admin_pair_code_invalid" },
    { key: "target", label: T("admin_pair_target"), type: "select", hint: T("admin_pair_target_hint"),
      options: [["new", T("admin_pair_new")], ...pairable.map((d) => [String(d.id), T("admin_pair_existing").replace("{name}", () => `${d.name} · ${deviceKind(d)}${d.revoked_at ? ` · ${T("admin_revoked_state")}` : ""}`)])] },
    { key: "kind", label: T("admin_device_kind"), type: "select", required: true, options: [["display", T("admin_kind_display")], ["kiosk", T("admin_kind_kiosk")]] },
    { key: "name", label: T("admin_name"), required: true, hint: T("admin_device_name_hint") },
    { key: "screen", label: T("admin_screen"), type: "select", options: screens.map((s) => [s, screenName(s)]), hint: T("admin_screen_hint") },
  ];
  edit(T("admin_pair_device"), fields, { target: "new", kind: "display", screen: screens[0] }, async (v) => {
    const body = { code: v.code };
    if (v.target !== "new") body.device = Number(v.target);
    else {
      Object.assign(body, { kind: v.kind, name: v.name });
      if (v.kind === "display") body.screen = v.screen;
    }
    const result = await api(`${BASE}/device-tokens/pair`, { method: "POST", body });
    if (!result.ok) return refused(result.body);
    toast(T("admin_paired").replace("{name}", () => result.body.device.name), "info");
    await loadDevices();
    render();
    return true;
  });
  const form = pairingForm(pairable);
  newOnlyFields(form);
  screenOnlyForDisplays();
  codeOrigin(form);
}

const PAIRING_CODE = /^[ACDEFHJKMNPRTUVWXY3479]{6}$/; // application/device_pairing.ALPHABET, 6 of them

// The pairing form's fields, and what the typed code fixes ({kind, screen}, or null: nothing, as for /perangkat).
function pairingForm(pairable) {
  const at = (key) => $("editor-fields").querySelector(`[name=${key}]`);
  return { code: at("code"), target: at("target"), kind: at("kind"), name: at("name"), screen: at("screen"), pairable, fixed: null };
}

// A device already registered keeps its kind, name and screen: those fields go away when one is picked. A code of a
// TV's or kiosk's page fixes kind and screen (shown, not changeable), and only entries of that kind and screen can
// be picked.
function newOnlyFields(form) {
  const fields = [form.kind, form.name, form.screen];
  const fits = (d) => !form.fixed || (d.kind === form.fixed.kind && (d.kind !== "display" || d.screen === form.fixed.screen));
  form.follow = () => {
    for (const option of form.target.options) {
      const entry = form.pairable.find((d) => String(d.id) === option.value);
      option.disabled = Boolean(entry) && !fits(entry);
    }
    if (form.target.selectedOptions[0]?.disabled) form.target.value = "new";
    const isNew = form.target.value === "new";
    if (form.fixed) {
      form.kind.value = form.fixed.kind;
      if (form.fixed.screen) form.screen.value = form.fixed.screen;
    }
    for (const field of fields) {
      const fixed = Boolean(form.fixed) && field !== form.name;
      field.disabled = !isNew || fixed; // not chosen here: neither required nor checked (the value is still sent)
      field.closest("label").hidden = !isNew;
    }
    if (isNew) form.kind.dispatchEvent(new Event("change")); // the screen: a display's only
  };
  form.target.addEventListener("change", form.follow);
  form.follow();
}

// Once the code is typed in full, the server says what it is (a look-up counted with the codes typed): said under
// the field, and kind and screen fixed for a TV's or kiosk's page. A code not waiting (mistyped, expired, used) is
// said there too, before the admin fills in the rest.
function codeOrigin(form) {
  const said = el("p", { class: "hint pairing-origin", id: "pairing-origin", role: "status", "aria-live": "polite", hidden: true });
  form.code.closest("label").after(said);
  let asked = null;
  const tell = (fixed, text, warning = false) => {
    form.fixed = fixed;
    said.textContent = text;
    said.hidden = !text;
    said.classList.toggle("warning-text", warning);
    said.dataset.kind = warning ? "refused" : fixed ? fixed.kind : text ? "any" : ""; // for tests and styles
    form.follow();
  };
  form.code.addEventListener("input", async () => {
    const code = form.code.value.toUpperCase().replace(/[\s-]/g, "");
    if (code === asked) return;
    asked = PAIRING_CODE.test(code) ? code : null;
    if (!asked) return tell(null, "");
    const result = await api(`${BASE}/device-tokens/pair/lookup`, { method: "POST", body: { code } });
    if (asked !== code || !form.code.isConnected) return; // typed on meanwhile, or the form closed
    if (!result.ok) {
      // Said nothing about the code (the server away or busy, too many typed): typing it again asks again.
      if (result.status === 0 || result.status === 429 || result.status >= 500) asked = null;
      return tell(null, errorText(result.body), true);
    }
    const found = result.body;
    if (found.kind === "display") tell({ kind: "display", screen: found.screen }, T("admin_pair_from_display").replace("{screen}", () => found.screen));
    else if (found.kind === "kiosk") tell({ kind: "kiosk", screen: null }, T("admin_pair_from_kiosk"));
    else tell(null, T("admin_pair_from_start"));
  });
}

function deviceKind(d) {
  return d.kind === "display" ? `${T("admin_kind_display")} ${d.screen}` : T(`admin_kind_${d.kind}`);
}

function renameDevice(device) {
  edit(`${T("admin_rename")} ${device.name}`, [{ key: "name", label: T("admin_name"), required: true }], device, async (v) => {
    const result = await api(`${BASE}/device-tokens/${device.id}`, { method: "PATCH", body: { name: v.name } });
    if (!result.ok) return refused(result.body);
    await loadDevices();
    render();
    return true;
  });
}

function revokeDevice(device) {
  confirmThen("revoke", device.name, async () => {
    const result = await api(`${BASE}/device-tokens/${device.id}/revoke`, { method: "POST", body: {} });
    if (!result.ok) return { ok: false, message: errorText(result.body) };
    toast(T("admin_revoked").replace("{name}", () => device.name), "info");
    await loadDevices();
    render();
    return { ok: true };
  }, deviceChanged(device));
}

function seenText(device) {
  if (device.revoked_at) return T("admin_revoked_state");
  if (device.connected) return T("admin_connected_now");
  return device.last_seen_at ? `${T("admin_last_seen")} ${whenWords(device.last_seen_at)}` : T("admin_never_seen");
}


function devicesPanel() {
  const rows = devices.map((d) => el("tr", { "data-device": d.id, class: d.revoked_at ? "revoked" : "" },
    el("td", { class: "num", text: d.id }), el("td", {}, el("strong", { text: d.name })),
    el("td", { text: d.kind === "display" ? `${T("admin_kind_display")} · ${d.screen}` : T(`admin_kind_${d.kind}`) }),
    el("td", { text: seenText(d) }),
    el("td", { class: "row-actions" }, d.revoked_at ? null : el("button", { type: "button", class: "small", text: T("admin_rename"), "aria-label": `${T("admin_rename")} ${d.name}`, onclick: () => renameDevice(d) }),
      d.revoked_at ? null : el("button", { type: "button", class: "small danger", text: T("admin_revoke"), "aria-label": `${T("admin_revoke")} ${d.name}`, onclick: () => revokeDevice(d) }))));
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_tab_devices") }),
      el("div", { class: "row-actions" },
        el("button", { type: "button", id: "pair-device", text: T("admin_pair_device"), onclick: pairDevice }),
        el("button", { type: "button", class: "primary", id: "issue-device", text: T("admin_issue_device"), onclick: issueDevice }))),
    el("p", { class: "hint", text: T("admin_devices_hint") }),
    table([T("admin_id"), T("admin_name"), T("admin_device_kind"), T("admin_seen"), ""], rows, [0], 1),
  ];
}

// --- accounts -----------------------------------------------------------------------------------------------------

async function loadAccounts() {
  const result = await api(`${BASE}/accounts`);
  accounts = result.ok ? result.body.accounts : [];
  if (!result.ok) $("admin-error").textContent = errorText(result.body);
}

function roleOptions() {
  const roles = me.role === "admin" ? ["operator", "supervisor"] : ["operator"];
  return roles.map((r) => [r, T(`role_${r}`)]);
}

function editAccount(account) {
  const isNew = account === null;
  const fields = [
    { key: "username", label: T("username"), required: true, readonly: !isNew, pattern: "[A-Za-z0-9._\\-]{1,64}", invalid: "admin_invalid_username" },
    { key: "display_name", label: T("admin_display_name"), required: true },
    { key: "role", label: T("admin_role"), type: "select", options: roleOptions(), required: true },
    { key: "agency", label: T("admin_agency"), type: "select", options: [["", T("admin_choose_agency")], ...agencyOptions()], hint: T("admin_agency_hint") },
    { key: "password", label: isNew ? T("password") : T("admin_new_password"), type: "password", required: isNew, hint: T("admin_password_hint") },
  ];
  // No agency chosen for a new operator: the admin chooses it (the first agency was taken silently; the server
  // refuses an operator without one, at the field).
  const values = isNew ? { role: "operator", agency: "" } : { ...account, agency: account.agency || "" };
  edit(isNew ? T("admin_add_account") : `${T("admin_edit")} ${account.username}`, fields, values, async (v) => {
    const body = withoutNulls({ display_name: v.display_name, role: v.role, agency: v.role === "operator" ? v.agency : null, password: v.password });
    if (v.role !== "operator") body.agency = null;
    const result = isNew
      ? await api(`${BASE}/accounts`, { method: "POST", body: { username: v.username, ...body } })
      : await api(`${BASE}/accounts/${encodeURIComponent(account.username)}`, { method: "PATCH", body });
    if (!result.ok) return refused(result.body);
    toast(T("admin_account_saved").replace("{name}", () => v.username || account.username), "info");
    sayReleased(result.body);
    await loadAccounts();
    render();
    return true;
  });
}

// Counters the server closed because the account may no longer work them: what became of each one's citizen.
function sayReleased(body) {
  const en = document.documentElement.lang === "en";
  for (const r of body?.released || []) toast(en ? r.message_en : r.message, "warning", 15);
}

function setActive(account, active) {
  confirmThen(active ? "enable" : "disable", account.username, async () => {
    const result = await api(`${BASE}/accounts/${encodeURIComponent(account.username)}`, { method: "PATCH", body: { active } });
    if (!result.ok) return { ok: false, message: errorText(result.body) };
    sayReleased(result.body);
    await loadAccounts();
    render();
    return { ok: true };
  }, accountChanged(account, active));
}

function removeAccount(account) {
  confirmThen("remove_account", account.username, async () => {
    const result = await api(`${BASE}/accounts/${encodeURIComponent(account.username)}`, { method: "DELETE" });
    if (!result.ok) return { ok: false, message: errorText(result.body) };
    sayReleased(result.body);
    await loadAccounts();
    render();
    return { ok: true };
  }, accountChanged(account, null));
}

function accountsPanel() {
  const agencyName = Object.fromEntries(agencyOptions());
  const rows = accounts.map((a) => el("tr", { "data-account": a.username, class: a.active ? "" : "revoked" },
    el("td", {}, el("strong", { text: a.username }), el("br"), el("span", { class: "hint", text: a.display_name })),
    el("td", { text: T(`role_${a.role}`) }), el("td", { text: a.agency ? agencyName[a.agency] || a.agency : "–" }),
    el("td", { text: a.active ? T("admin_active") : T("admin_disabled") }),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "small", text: T("admin_edit"), "aria-label": `${T("admin_edit")} ${a.username}`, onclick: () => editAccount(a) }),
      el("button", { type: "button", class: "small", text: a.active ? T("admin_disable") : T("admin_enable"), "aria-label": `${a.active ? T("admin_disable") : T("admin_enable")} ${a.username}`, onclick: () => setActive(a, !a.active) }),
      el("button", { type: "button", class: "small danger", text: T("admin_remove"), "aria-label": `${T("admin_remove")} ${a.username}`, onclick: () => removeAccount(a) }))));
  return [
    el("div", { class: "panel-head" }, el("h3", { text: T("admin_tab_accounts") }),
      el("button", { type: "button", class: "primary", id: "add-account", text: T("admin_add_account"), onclick: () => editAccount(null) })),
    el("p", { class: "hint", text: me.role === "admin" ? T("admin_accounts_hint_admin") : T("admin_accounts_hint_supervisor") }),
    table([T("username"), T("admin_role"), T("admin_agency"), T("admin_state"), ""], rows, [], 0),
  ];
}

// --- the page ------------------------------------------------------------------------------------------------------

// A heading given as [text] is read, not shown (the agencies' colour swatches); an empty one is the row actions'.
// On a phone each row is a card ("stack", base.css) headed by its `lead` column (the name), every other cell beside
// its column's name and the row's buttons under them: a device's "Cabut" was off screen to the right.
function table(headings, rows, numeric = [], lead = null) {
  const heading = (h, i) => {
    const attrs = { scope: "col", class: numeric.includes(i) ? "num" : null };
    if (h === "") return el("th", attrs, el("span", { class: "visually-hidden", text: T("actions") }));
    if (Array.isArray(h)) return el("th", { ...attrs, "data-label": h[0] }, el("span", { class: "visually-hidden", text: h[0] }));
    return el("th", { ...attrs, text: h });
  };
  const drawn = el("table", { class: "data stack" },
    el("thead", {}, el("tr", {}, ...headings.map(heading))),
    el("tbody", {}, ...rows));
  if (lead !== null) for (const row of drawn.tBodies[0].rows) row.cells[lead]?.classList.add("lead");
  labelCells(drawn);
  return el("div", { class: "table-wrap" }, drawn);
}

const PANELS = { site: sitePanel, services: servicesPanel, counters: countersPanel, agencies: agenciesPanel, hours: hoursPanel, calls: callsPanel, alerts: alertsPanel, devices: devicesPanel, accounts: accountsPanel };

// Quotas their counters cannot serve before closing (GET .../configuration's warnings, application/capacity.py):
// shown above the tabs, folded, so a mall that saves them knows the kiosk will soon say "may not be served today".
function renderWarnings() {
  const alone = unserved();
  $("unserved").hidden = !alone.length;
  $("unserved-title").textContent = T("admin_unserved_title").replace("{n}", () => alone.length);
  $("unserved-list").replaceChildren(...alone.map((w) => el("li", { text: T("admin_unserved_item")
    .replace("{service}", () => w.service.name).replace("{agency}", () => w.agency.name) })));
  const warnings = (current.warnings || []).filter((w) => w.kind === "quota_over_capacity");
  $("warnings").hidden = !warnings.length;
  if (!warnings.length) return;
  const number = (n) => n.toLocaleString(currentLang() === "en" ? "en-GB" : "id-ID");
  $("warnings-title").textContent = T("admin_capacity_title").replace("{n}", () => warnings.length);
  // No counter at all has a sentence of its own ("... at most 0 minutes" read as nonsense).
  $("warnings-list").replaceChildren(...warnings.map((w) => el("li", { text: T(w.counters.length ? "admin_capacity_item" : "admin_capacity_no_counter")
    .replace("{services}", () => w.services.map((s) => s.name).join(", "))
    .replace("{quota}", () => number(w.quota))
    .replace("{needed}", () => number(w.needed_minutes))
    .replace("{counters}", () => w.counters.map((c) => c.name).join(", "))
    .replace("{available}", () => number(w.available_minutes))
    .replace("{days}", () => daysText(w.days))
    .replace("{citizens}", () => number(w.citizens)) })));
}

// "short on every opening day", or the days by name.
function daysText(days) {
  const hours = (current.document.site && current.document.site.hours) || {};
  const open = WEEKDAYS.filter((d) => listOf(hours[d]).length);
  if (open.length === days.length && open.every((d) => days.includes(d))) return T("admin_capacity_every_day");
  return T("admin_capacity_days").replace("{days}", () => days.map((d) => T(`day_${d}`)).join(", "));
}

function render() {
  if (!current) return;
  renderWarnings();
  const source = current.source === "web" ? T("admin_source_web") : T("admin_source_file");
  $("version").textContent = T("admin_version").replace("{version}", () => current.version).replace("{source}", () => source);
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
    button.tabIndex = button.dataset.tab === tab ? 0 : -1;
  }
  $("panel").setAttribute("aria-labelledby", `tab-${tab}`);
  $("panel").replaceChildren(...PANELS[tab]());
}

// A tab chosen by hand while the page still starts (reading the gateway, the configuration) is the one shown: the
// start's own choice (the address's #tab, else services) came after it and drew services under "#devices".
let chosenByHand = false;

async function choose(name, byHand = false) {
  chosenByHand ||= byHand;
  tab = name;
  if (name === "devices") await loadDevices();
  if (name === "accounts") await loadAccounts();
  if (tab !== name) return; // another tab chosen meanwhile: it draws itself
  render();
  history.replaceState(null, "", `#${name}`);
}

async function exportFile() {
  const result = await api(`${BASE}/configuration/site-file`, { raw: true });
  if (!result.ok) return toast(T("error_generic"), "danger");
  const blob = await result.response.blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `${site.id}.toml` });
  document.body.append(link);
  link.click();
  link.remove();
}

async function start(principal) {
  me = principal;
  await loadGateway();
  if (!(await load())) return;
  const wanted = location.hash.slice(1);
  await choose(chosenByHand ? tab : wanted in PANELS ? wanted : "services");
  document.body.dataset.loaded = "true";
}

for (const button of document.querySelectorAll("[data-tab]")) button.addEventListener("click", () => choose(button.dataset.tab, true));
document.querySelector(".tabs").addEventListener("keydown", (event) => {
  const names = [...document.querySelectorAll("[data-tab]")].map((b) => b.dataset.tab); // as the tabs are shown
  const at = names.indexOf(tab);
  const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: names.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const next = names[(moves[event.key] + names.length) % names.length];
  choose(next, true).then(() => document.querySelector(`[data-tab="${next}"]`).focus());
});
$("editor-form").addEventListener("submit", submitEditor);
$("editor-cancel").addEventListener("click", () => $("editor").close());
// Closing gives the focus back to the opener only while it is still there: after a save the focus stayed in the
// closed editor, then fell to <body>.
$("editor").addEventListener("close", () => {
  if (focusNext || lostFocus() || $("editor").contains(document.activeElement)) focusPlace(focusNext || opener);
  focusNext = null;
});
$("reload").addEventListener("click", load);
$("export").addEventListener("click", exportFile);
onLangChange(() => {
  applyTexts();
  render();
});
boot(start);

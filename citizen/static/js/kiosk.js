// The self-service kiosk: agency -> service -> priority question -> ticket (number, wait, QR, print), or a booking
// check-in by code -> (the code looked at first: a bad one is refused there) the same priority question -> its ticket.
// The kiosk's device token comes from the URL fragment (#token=...), which is never sent to the server's logs.
// Refusals (quota used up, closed, too early ...) are shown plainly with the server's own words.
// The catalogue follows the site's configuration: when GET /api/v1/sites/{site} says `configuration_version`
// changed, the tiles are drawn again from /kiosk/{site}/config, but only on the start screen (never under a
// citizen's finger in the middle of a choice).
// The kiosk also follows the server over the websocket (role "kiosk", docs/protocol.md): told at once when its token
// is revoked (it leaves its tiles), and when a quota is spent, a service's counters all close, the day is closed or
// reopened or the configuration changes (it reads its day and its tiles again). The poll stays, for what no event
// says (opening hours passing, the gateway's breaker) and for when the socket is down.

import { call, newKey } from "./api.js";
import { Texts, formatRange, formatTime, formatWhen, waitInWords, waitText } from "./i18n.js";
import { IdleTimer } from "./idle.js";
import { buildDigitPad, buildKeypad, normaliseCode } from "./keypad.js";
import { KioskPrinter } from "./kiosk_print.js";
import { Modes } from "./modes.js";
import { StaffPanel } from "./kiosk_panel.js";
import { Pairing, deviceToken, forgetToken } from "/static/shared/device-pairing.js";
import { LiveClient } from "/static/shared/live-client.js";

let config = JSON.parse(document.getElementById("kiosk-config").textContent);
const site = config.site.id;
const timeZone = config.site.timezone;
// The address's #token=..., else the one this browser kept for this kiosk; none: a pairing code (device-pairing.js).
const kioskToken = deviceToken() || "";
const texts = new Texts(config.text, config.lang);
const $ = (id) => document.getElementById(id);

// code: a booking checking in; booking: what the look at its code said of it (service, slot)
const choice = { agency: null, service: null, priority: null, key: null, code: null, booking: null };
let ticketToken = null;
let screen = "start";

const printer = new KioskPrinter({ site, kioskToken, frame: $("print-frame") });
const modes = new Modes({ remember: false }); // a kiosk serves everyone: the next citizen starts plain
const idle = new IdleTimer(() => {
  panel.close();
  show("start");
});
const panel = new StaffPanel({ site, kioskToken, texts, onSaved: (settings) => printer.configure(settings) });

// A closed day is said on the start screen, before a citizen picks an agency (the catalogue says so; read again
// every POLL_MS and each time the kiosk comes back to the start). The same answer carries the configuration's
// version: a new one means new tiles.
const POLL_MS = (config.poll_seconds || 15) * 1000;
// Refusals the kiosk shows by itself from its poll of the day, and takes back when the day says otherwise.
const SAID_BY_THE_DAY = new Set(["day_closed", "site_closed", "site_not_served"]);
const POLL_GAP_MS = 2_000; // coming back to the start right after a read does not read again
let notIssuing = null; // why no ticket can be taken now (the day closed, before opening time): said at the start
// The server refuses this kiosk's device token (revoked, unknown, none): from then on only the "not set up" screen,
// with the server's sentence for the technician, whatever a citizen or the idle timer asks.
let unusable = null;
let dayPoll = 0;
let polling = false;
let polledAt = 0;
let knownVersion = null; // the configuration the tiles were drawn from; null: not compared yet
let pendingConfig = null; // a newer catalogue, waiting for the start screen
let clockOffset = 0; // the server's clock minus this machine's (a kiosk on a LAN often has a wrong clock)
// Whether messages can be sent now: not while the site's WhatsApp/SMS gateway is paused by its breaker (a mobile
// unit's box without internet), when the offer is replaced by a plain word that it is not available.
let notifyAvailable = true;

// `now`: told by the server that the day or the configuration changed, read even right after another read; one
// running already is followed by another.
let readAgain = false;

async function checkDay({ now = false } = {}) {
  if (polling && now) readAgain = true;
  if (polling || (!now && Date.now() - polledAt < POLL_GAP_MS)) return;
  polling = true;
  polledAt = Date.now();
  try {
    // A few hundred bytes, not the catalogue; with the kiosk's token, so the Settings page sees it is there.
    const answer = await call("GET", `/api/v1/sites/${site}/today`, { token: kioskToken });
    if (!answer.ok && answer.error.details?.device_token) return notSetUp(answer.error); // revoked: stop at once
    if (!answer.ok) {
      // Its mall left out when the server started (its site file refused): said on the start screen now, not after
      // a citizen has chosen their service; the start comes back by itself once a restart serves the mall.
      if (answer.error.code === "site_not_served" && screen === "start") refused(answer.error, null);
      return;
    }
    if (answer.data.now) {
      clockOffset = Date.parse(answer.data.now) - Date.now();
      tick();
    }
    atTheChange(answer.data.changes_at);
    notIssuing = answer.data.issuing || (answer.data.today?.closed ? answer.data.today.error : null);
    if (notIssuing && screen === "start") refused(notIssuing, null);
    if (!notIssuing && screen === "notice" && SAID_BY_THE_DAY.has(notice?.error.code)) show("start");
    // "Lapor hadir" only when a service takes bookings or one of today's waits for its check-in (an older server
    // says nothing: offered); it follows Settings at once, a saved configuration being read again here.
    $("checkin-open").hidden = answer.data.check_in === false;
    followNotify(answer.data.notify?.available !== false);
    await followConfiguration(answer.data.configuration_version);
  } finally {
    polling = false;
    if (readAgain && !unusable) {
      readAgain = false;
      checkDay({ now: true });
    }
  }
}

// Opening hours open or close the site at `changes_at` (the server's time): read again just after it, so the start
// screen stops saying "Buka hari ini pukul 08.00" at 08.00 to the second, not at the next poll. Set only when it falls
// before the next poll (each poll sets it again: a timer for hours ahead would drift on a kiosk that sleeps).
let changeTimer = 0;
const CHANGE_AFTER_MS = 300; // the server's clock has passed it when the kiosk asks

function atTheChange(changesAt) {
  clearTimeout(changeTimer);
  const at = changesAt ? Date.parse(changesAt) : NaN;
  const wait = at - (Date.now() + clockOffset) + CHANGE_AFTER_MS;
  if (!(wait > 0 && wait <= POLL_MS + CHANGE_AFTER_MS)) return;
  changeTimer = setTimeout(() => { if (!unusable) checkDay({ now: true }); }, wait);
}

function followNotify(available) {
  if (available === notifyAvailable) return;
  notifyAvailable = available;
  if (screen === "notify" && !available) show("ticket"); // a number typed now would wait for the gateway
  if (screen === "ticket" && shown) fillTicket(shown);
}

// The first version seen is also compared (the page may have been drawn just before a change), but only tiles
// that differ are drawn again.
async function followConfiguration(version) {
  if (version === undefined || version === knownVersion) return;
  const answer = await call("GET", `/kiosk/${site}/config?lang=${encodeURIComponent(config.lang)}`);
  if (!answer.ok) return; // read again at the next poll
  knownVersion = version;
  if (catalogueOf(answer.data) === catalogueOf(pendingConfig || config)) return;
  pendingConfig = answer.data;
  if (screen === "start") applyConfig();
}

// The page's JSON (keys sorted) and the route's (keys in the server's order) compared with their keys sorted.
const byKey = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);
const sortedKeys = (_, v) =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byKey)) : v;
const catalogueOf = (c) => JSON.stringify([c.site, c.agencies, c.wifi ?? null], sortedKeys);

function applyConfig() {
  if (!pendingConfig) return;
  config = pendingConfig;
  pendingConfig = null;
  $("site-name").textContent = config.site.name;
  drawTiles();
  markAgencies();
}

const FEW_AGENCIES = 4; // as many as a portrait kiosk shows one under the other (templates/kiosk.html says the same)

// The same tiles the server renders (templates/kiosk.html); clicks reach them through their containers.
function drawTiles() {
  const longest = (text) => Math.max(1, ...text.split(/\s+/).filter(Boolean).map((word) => word.length));
  const tile = (cls, colours, label, sub) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `k-tile ${cls}`;
    button.style.setProperty("--tile", colours.tile || colours.colour);
    button.style.setProperty("--ink", colours.ink);
    const main = document.createElement("span");
    main.className = "k-tile-main";
    main.style.setProperty("--longest", longest(label));
    main.textContent = label;
    button.append(main);
    if (sub) {
      const small = document.createElement("span");
      small.className = "k-tile-sub";
      small.textContent = sub;
      button.append(small);
    }
    return button;
  };
  const agencies = [];
  const services = [];
  for (const a of config.agencies) {
    const agencyTile = tile("k-agency", a, a.short_name, a.name);
    agencyTile.dataset.agency = a.id;
    agencies.push(agencyTile);
    for (const s of a.services) {
      const serviceTile = tile("k-service", a, s.name, null);
      const wait = document.createElement("span");
      wait.className = "k-tile-sub k-wait";
      wait.setAttribute("aria-live", "polite");
      serviceTile.append(wait);
      Object.assign(serviceTile.dataset, { agency: a.id, service: s.id });
      serviceTile.hidden = true;
      services.push(serviceTile);
    }
  }
  document.querySelector(".k-agencies").replaceChildren(...agencies);
  document.querySelector(".k-agencies").toggleAttribute("data-few", agencies.length <= FEW_AGENCIES); // kiosk.css
  document.querySelector(".k-services").replaceChildren(...services);
}

// A tap acts only on the screen it came down on. Elderly citizens often tap twice, and the second tap of a double
// tap used to land on whatever the first one brought up: a double tap on an agency picked one of its services, on
// "Kartu Identitas Anak" it issued a priority "Anak-anak" ticket. So a new screen takes no tap for SETTLE_MS: while
// body[data-settling] is set, its section lets taps through to the empty area behind it (kiosk.css), which does
// nothing, whatever the tap lands on (tiles, keys, "Kembali", a form's button). And a finger that rests while the
// screen changes under it (an answer from the server, the idle timer) clicks nothing when lifted (wire(): the
// screen is counted at each change and compared with the count when the tap came down). Keyboards and barcode
// scanners are not held up.
const SETTLE_MS = 400;
let settleTimer = 0;
let screenChanges = 0;

function settle() {
  screenChanges += 1;
  document.body.dataset.settling = "true";
  clearTimeout(settleTimer);
  settleTimer = setTimeout(() => delete document.body.dataset.settling, SETTLE_MS);
}

function show(name) {
  if (unusable && name !== "setup") return show("setup");
  if (name === "start" && screen !== "start") modes.reset(); // the citizen is done: the next one starts plain
  if (name === "start" && notIssuing) return refused(notIssuing, null);
  if (name !== screen) settle();
  screen = name;
  for (const section of document.querySelectorAll("section[data-screen]")) section.hidden = section.dataset.screen !== name;
  document.body.dataset.current = name;
  if (name === "start") {
    Object.assign(choice, { agency: null, service: null, priority: null, key: null, code: null, booking: null });
    $("checkin-code").value = "";
    $("checkin-error").hidden = true;
    applyConfig(); // a catalogue that changed during the last citizen's choice
    checkDay();
  }
  if (name !== "notify" && $("notify-phone")) clearNumber(); // a number never stays on a public screen
  // The priority question is asked after a service and after a booking's code: "Kembali" goes back to either.
  if (name === "priority") {
    $("priority-back").dataset.back = choice.code ? "checkin" : "services";
    // "Tidak, antrean biasa" would tell a booked citizen they lose their booking: theirs says the check-in goes on.
    const none = $("priority-none");
    none.dataset.t = choice.code ? "kiosk_priority_no_checkin" : "kiosk_priority_no";
    none.textContent = texts.t(none.dataset.t);
    sayBooking();
  }
  if (name === "checkin") $("checkin-code").focus();
  else focusHeading(name);
  idle.arm(name === "start" || name === "setup" ? 0 : name === "ticket" ? config.ticket_seconds : config.idle_seconds);
}

// --- choosing -------------------------------------------------------------------------------------------------

function chooseAgency(agencyId) {
  const agency = config.agencies.find((a) => a.id === agencyId);
  choice.agency = agencyId;
  $("services-agency").textContent = agency.name;
  for (const tile of document.querySelectorAll(".k-service")) tile.hidden = tile.dataset.agency !== agencyId;
  show("services");
  showWaits(agencyId);
}

// Each service's line before the citizen takes a number (GET .../waits: what a ticket taken now would be told, and
// the walk-in quota left): they may choose to come back later or book online instead. Read at each choice of an
// agency; an answer that fails leaves the tiles blank, an answer for an agency left since is not shown.
let waits = null;

// `keep`: read again while the tiles are shown (the server said a quota or a service changed): no blank meanwhile.
async function showWaits(agencyId, { keep = false } = {}) {
  if (!keep) {
    waits = null;
    fillWaits();
  }
  const answer = await call("GET", `/api/v1/sites/${site}/waits`);
  if (!answer.ok || choice.agency !== agencyId) return; // (still shown on coming back from the next screen)
  waits = answer.data.services || null;
  fillWaits();
}

function fillWaits() {
  for (const tile of document.querySelectorAll(".k-service")) {
    const wait = waits?.[tile.dataset.service];
    tile.querySelector(".k-wait").textContent = wait ? tileWait(wait) : "";
    // "Kuota hari ini habis", "Sementara berhenti: Blangko habis": nothing to go on to (online booking may still)
    tile.disabled = wait?.quota_left === 0 || Boolean(wait?.paused);
    tile.classList.toggle("k-paused", Boolean(wait?.paused));
  }
}

function tileWait(wait) {
  if (wait.paused) return pausedText(wait.paused);
  if (wait.quota_left === 0) return texts.t("kiosk_tile_quota_gone");
  if (wait.status === "no_counter_open") return texts.t("kiosk_tile_no_counter");
  if (wait.after_closing) return texts.t("kiosk_tile_after_closing");
  return `${texts.t("kiosk_tile_ahead", { n: wait.people_ahead })} · ${waitText(texts, wait, wait.minutes)}`;
}

// "Sementara berhenti: Blangko habis. Perkiraan dibuka kembali pukul 13.00": the reason as its supervisor typed it.
function pausedText(paused) {
  // the expected time is a hope: once past, it is not said (nobody resumed yet)
  if (!paused.until || Date.parse(paused.until) <= Date.now() + clockOffset) return texts.t("kiosk_tile_paused", { reason: paused.reason });
  return texts.t("kiosk_tile_paused_until", { reason: paused.reason, until: formatTime(paused.until, texts.lang, timeZone) });
}

// An agency all of whose services are paused says it on its own tile, as a paused service's tile does (and, like it,
// cannot be pressed): a citizen no longer taps to learn it one screen later. With the reason when they share one
// (not the expected time: a start screen's tile has room for a reason, not for both, in large type); one paused
// service of several leaves the agency's tile as it is. From the kiosk's view (its websocket).
function markAgencies() {
  const pauses = told?.services || {};
  for (const tile of document.querySelectorAll(".k-agency")) {
    const agency = config.agencies.find((a) => a.id === tile.dataset.agency);
    const paused = (agency?.services || []).map((s) => pauses[s.id]?.paused || null);
    const all = paused.length > 0 && paused.every(Boolean);
    const same = all && paused.every((p) => p.reason === paused[0].reason);
    let why = tile.querySelector(".k-wait");
    if (all && !why) {
      why = document.createElement("span");
      why.className = "k-tile-sub k-wait";
      tile.append(why);
    }
    why?.replaceChildren(!all ? "" : same ? texts.t("kiosk_tile_paused", { reason: paused[0].reason }) : texts.t("kiosk_agency_paused"));
    if (why) why.hidden = !all;
    tile.disabled = all;
    tile.classList.toggle("k-paused", all);
  }
}

function chooseService(serviceId) {
  choice.service = serviceId;
  choice.code = null;
  choice.booking = null;
  choice.key = null;
  show("priority");
}

// --- issuing --------------------------------------------------------------------------------------------------

async function issue(priority) {
  choice.priority = priority || null;
  choice.key = choice.key || newKey(); // the same key on "try again": a lost answer never makes a second ticket
  show("busy");
  const body = { service: choice.service };
  if (choice.priority) body.priority = choice.priority;
  const answer = await call("POST", `/api/v1/sites/${site}/tickets`, {
    token: kioskToken,
    body,
    headers: { "Idempotency-Key": choice.key },
  });
  if (answer.ok) return showTicket(answer.data);
  refused(answer.error, () => issue(choice.priority));
}

let checkingIn = false; // one request at a time: a scanner's Enter must not send a second
// What the citizen can do next, said after the server's sentence where it says none: a code not found is checked in
// the message or on the booking page (a typo), else the information desk helps. The others say it already (the mall
// the booking is for, "Silakan ambil antrean biasa", "silakan tanyakan petugas").
const CHECKIN_STEPS = {
  unknown_booking: "kiosk_checkin_unknown",
  checkin_too_early: "kiosk_checkin_too_early",
  booking_cancelled: "kiosk_checkin_cancelled",
  already_checked_in: "kiosk_checkin_used",
};
let checkinRefused = null; // the refusal on the check-in screen, said again when the language changes

// A code of a code's form is looked at first (GET .../check-in, which changes nothing): one that cannot be checked in
// (not found, another mall's, too early, cancelled, released, used) is said at once on the code's screen, in the
// check-in's own words, and no question is asked for nothing. One that can is asked the priority question next, as a
// service is: a booked citizen of a UU 25/2009 group keeps the priority an ordinary ticket would have had
// (docs/citizen.md). Their answer sends the check-in, which decides again (a window may close meanwhile).
async function checkIn(event) {
  event?.preventDefault();
  if (checkingIn) return;
  const code = normaliseCode($("checkin-code").value);
  $("checkin-code").value = code;
  if (!/^BK-[A-Z0-9]{6}$/.test(code)) return checkinError("invalid");
  show("busy");
  checkingIn = true;
  let answer;
  try {
    answer = await call("GET", `/api/v1/sites/${site}/bookings/${encodeURIComponent(code)}/check-in`, { token: kioskToken });
  } finally {
    checkingIn = false;
  }
  if (screen !== "busy") return; // the kiosk moved on meanwhile (its token revoked over the socket)
  if (!answer.ok) return refusedAtCheckIn(answer.error, () => checkIn());
  Object.assign(choice, { service: null, code, booking: answer.data.booking });
  // Checked in already, its ticket still waiting (a slip lost): the same ticket again, its group as it was. The
  // check-in takes no group then, so none is asked.
  if (answer.data.again) return sendCheckIn(null);
  show("priority");
}

// The booking the question is asked for, in the hint's place: its code, service and slot (never whose it is).
function sayBooking() {
  const line = $("priority-booking");
  const booking = choice.code ? choice.booking : null;
  line.hidden = !booking;
  $("priority-hint").hidden = Boolean(booking);
  if (!booking) return;
  line.textContent = texts.t("kiosk_priority_booking", {
    code: booking.code,
    service: booking.service_name,
    slot: formatRange(booking.slot, booking.slot_end, texts.lang),
  });
}

function answerPriority(priority) {
  return choice.code ? sendCheckIn(priority) : issue(priority);
}

async function sendCheckIn(priority) {
  if (checkingIn) return;
  choice.priority = priority || null;
  show("busy");
  checkingIn = true;
  let answer;
  try {
    const body = choice.priority ? { priority: choice.priority } : undefined;
    answer = await call("POST", `/api/v1/sites/${site}/bookings/${encodeURIComponent(choice.code)}/check-in`, {
      token: kioskToken,
      body,
    });
  } finally {
    checkingIn = false;
  }
  if (answer.ok) return showTicket(answer.data); // also a second check-in: the same ticket, shown and printed again
  refusedAtCheckIn(answer.error, () => sendCheckIn(choice.priority));
}

// A refusal of the look or of the check-in: the kiosk's token refused (revoked meanwhile) is "not set up", as for
// any other request; a closed mall or no answer a notice ("Coba lagi" where it can help); the rest is said on the
// code's screen, the code kept, so a typo can be fixed.
function refusedAtCheckIn(error, retry) {
  if (error.details?.device_token) return refused(error, null);
  if (["site_closed", "day_closed", "network"].includes(error.code)) return refused(error, retry);
  show("checkin");
  checkinError(error); // the server's words (e.g. from when check-in opens), then what to do next
}

// `error`: a refusal of the server, or "invalid" (not a code's form: said without asking the server).
function checkinError(error) {
  checkinRefused = error;
  sayCheckinError();
}

function sayCheckinError() {
  const error = checkinRefused;
  const step = error !== "invalid" && CHECKIN_STEPS[error.code];
  const said = error === "invalid" ? [texts.t("kiosk_checkin_hint")] : [texts.error(error), step && texts.t(step)];
  $("checkin-error").textContent = said.filter(Boolean).join(" ");
  $("checkin-error").hidden = false;
}

// A refusal or a failure, said plainly; "try again" only where trying again can help.
let notice = null;

function refused(error, retry) {
  if (error.details?.device_token) return notSetUp(error); // the kiosk's token, not the citizen's choice
  notice = { error, retry };
  renderNotice();
  document.body.dataset.refusal = error.code;
  show("notice");
}

function renderNotice() {
  const { error, retry } = notice;
  const titles = {
    quota_exhausted: "kiosk_quota_title",
    issuing_paused: "kiosk_paused_title",
    site_closed: "kiosk_closed_title",
    day_closed: "kiosk_day_closed_title",
    site_not_served: "kiosk_not_served_title",
  };
  $("n-title").textContent = texts.t(titles[error.code] || "kiosk_refused_title");
  $("n-message").textContent = texts.error(error);
  // When it opens again: the closed message says it already ("... Buka kembali Senin ... pukul 07.30"), once.
  const next = ["site_closed", "day_closed"].includes(error.code) ? null : error.details?.next_opening;
  $("n-when").hidden = !next;
  if (next) $("n-when").textContent = texts.t("kiosk_come_back", { when: formatWhen(next, texts.lang, timeZone) });
  // Closed (the hours, a holiday, the day closed), or the mall not served: the start screen itself says it, so
  // "Kembali" would lead back to this very screen. Nothing to press; the start comes back when the day says so.
  $("n-back").hidden = SAID_BY_THE_DAY.has(error.code);
  const canRetry = error.code === "network" || error.code === "storage_unavailable" || error.code === "too_many_requests";
  $("n-retry").hidden = !canRetry;
  $("n-retry").onclick = canRetry ? retry : null;
}

// --- the ticket -----------------------------------------------------------------------------------------------

let shown = null; // the ticket on screen, to re-label it when the language changes

function showTicket(answer) {
  shown = answer;
  ticketToken = answer.ticket.token;
  notifiedTo = null;
  fillTicket(answer);
  $("t-qr").src = `/citizen/qr/t/${encodeURIComponent(ticketToken)}.svg`;
  show("ticket");
  printTicket();
}

function fillTicket(answer) {
  $("t-label").textContent = answer.ticket.label;
  $("t-service").textContent = answer.service_name;
  $("t-agency").textContent = answer.agency_name;
  $("t-booking").hidden = !answer.booking;
  if (answer.booking) {
    $("t-booking").textContent = texts.t("kiosk_booking_for", {
      code: answer.booking.code,
      slot: formatRange(answer.booking.slot, answer.booking.slot_end, texts.lang),
    });
  }
  $("t-ahead").textContent = texts.t("people", { n: answer.people_ahead });
  fillWifi();
  $("t-notify").hidden = !notifiedTo;
  if (notifiedTo) $("t-notify").textContent = texts.t("notify_on", { phone: notifiedTo });
  const offer = !notifiedTo && answer.ticket.state === "waiting";
  if ($("notify-open")) $("notify-open").hidden = !offer || !notifyAvailable;
  if ($("t-notify-off")) $("t-notify-off").hidden = !offer || notifyAvailable;
  // The fact may wrap between its words on a narrow or large-type screen, never inside the range "130–200".
  const wait = waitText(texts, answer.estimated_wait, answer.estimated_wait_minutes);
  $("t-wait").replaceChildren(...wait.split(/(\d+–\d+)/).map((part, i) => {
    if (i % 2 === 0) return part;
    return Object.assign(document.createElement("span"), { className: "k-range", textContent: part });
  }));
  $("t-wait").classList.toggle("words", waitInWords(answer.estimated_wait));
}

// The Wi-Fi the phone joins first, where the server is not on the internet (a mobile unit), in place of the QR's
// caption: join it, then scan. Its name in bold on a line of its own, and the guest network's password.
function fillWifi() {
  const wifi = config.wifi;
  $("t-wifi").hidden = !wifi;
  if (!wifi) return;
  const strong = (className, textContent) => Object.assign(document.createElement("strong"), { className, textContent });
  const parts = [texts.t("kiosk_wifi_join"), strong("k-wifi-name", wifi.name)];
  if (wifi.password) {
    const [label] = texts.t("slip_wifi_password").split("{password}");
    parts.push(label, strong("k-wifi-password", wifi.password), document.createElement("br"));
  }
  parts.push(texts.t("kiosk_wifi_then"));
  $("t-wifi").replaceChildren(...parts);
}

async function printTicket() {
  const token = ticketToken;
  setPrint("printing");
  const result = await printer.print(token, texts.lang); // the slip in the citizen's language
  if (token !== ticketToken) return; // the screen has moved on to another citizen
  setPrint(result.state, result.error);
  if (screen === "ticket") focusHeading("ticket"); // printing focused the hidden frame
}

// Each new screen's heading takes the focus, so a screen reader says where the citizen is ("Nomor antrean Anda",
// then the number) and a keyboard goes on from there; the focus never stays on a screen that was hidden.
function focusHeading(name) {
  const heading = document.querySelector(`section[data-screen="${name}"] :is(h1, [role=heading])`);
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

function setPrint(state, error) {
  const line = $("t-print");
  line.dataset.state = state;
  const key = { printing: "kiosk_printing", printed: "kiosk_printed", fault: "kiosk_print_fault", none: "kiosk_no_printer" }[state];
  line.textContent = texts.t(key);
  if (state === "fault" && error?.details?.error) line.title = error.details.error;
  $("reprint").hidden = state !== "fault";
}

// --- messages on WhatsApp/SMS (offered when the site has a gateway) ---------------------------------------------

let notifiedTo = null; // the masked number the ticket on screen will be messaged at

function clearNumber() {
  $("notify-phone").value = "";
  $("notify-consent").setAttribute("aria-pressed", "false");
  $("notify-error").hidden = true;
}

async function leaveNumber(event) {
  event.preventDefault();
  const consent = $("notify-consent").getAttribute("aria-pressed") === "true";
  $("notify-submit").disabled = true;
  const answer = await call("POST", `/api/v1/tickets/${encodeURIComponent(ticketToken)}/notify`, {
    token: kioskToken,
    body: { phone: $("notify-phone").value, lang: texts.lang, consent },
  });
  $("notify-submit").disabled = false;
  if (!answer.ok) {
    $("notify-error").textContent = texts.error(answer.error);
    $("notify-error").hidden = false;
    return;
  }
  notifiedTo = answer.data.phone;
  clearNumber();
  fillTicket(shown);
  show("ticket");
}

function wireNotify() {
  if (!$("notify-form")) return;
  buildDigitPad($("digits"), $("notify-phone"), { clearLabel: "kiosk_checkin_clear" });
  $("notify-open").addEventListener("click", () => show("notify"));
  $("notify-back").addEventListener("click", () => show("ticket"));
  $("notify-form").addEventListener("submit", leaveNumber);
  $("notify-phone").addEventListener("input", () => ($("notify-error").hidden = true));
  $("notify-consent").addEventListener("click", () => {
    const on = $("notify-consent").getAttribute("aria-pressed") !== "true";
    $("notify-consent").setAttribute("aria-pressed", String(on));
    $("notify-error").hidden = true;
  });
}

// --- wiring ---------------------------------------------------------------------------------------------------

function switchLanguage() {
  texts.lang = texts.lang === "id" ? "en" : "id";
  texts.apply();
  if (screen === "ticket" && shown) {
    fillTicket(shown);
    setPrint($("t-print").dataset.state);
  }
  if (screen === "notice" && notice) renderNotice();
  if (screen === "checkin" && !$("checkin-error").hidden && checkinRefused) sayCheckinError();
  if (screen === "priority") sayBooking();
  fillWaits();
  markAgencies();
}

function tick() {
  $("clock").textContent = formatTime(new Date(Date.now() + clockOffset), texts.lang, timeZone);
}

// A barcode scanner on the start screen "types" a booking code and Enter: check it in without any button.
function scannerOnStart() {
  let typed = "";
  let last = 0;
  document.addEventListener("keydown", (event) => {
    if (screen !== "start" || !panel.hidden) return;
    const now = Date.now();
    if (now - last > 1000) typed = "";
    last = now;
    if (event.key === "Enter") {
      const code = normaliseCode(typed);
      typed = "";
      if (/^BK-[A-Z0-9]{6}$/.test(code)) {
        event.preventDefault(); // else this Enter also submits the check-in form the code is put in: twice
        show("checkin");
        $("checkin-code").value = code;
        checkIn();
      }
    } else if (event.key.length === 1) {
      typed += event.key;
    }
  });
}

// A click made by a tap (detail > 0; a key's click has 0) whose finger came down on an earlier screen is dropped before
// any handler of the screens sees it (see settle()).
function onlyTapsOfThisScreen() {
  let downAt = screenChanges;
  document.addEventListener("pointerdown", () => (downAt = screenChanges), true);
  document.querySelector(".k-main").addEventListener("click", (event) => {
    if (event.detail === 0 || downAt === screenChanges) return;
    event.preventDefault(); // also a form's submit button
    event.stopImmediatePropagation();
  }, true);
}

function wire() {
  onlyTapsOfThisScreen();
  // Delegated: the tiles are drawn again when the site's configuration changes.
  const tileIn = (event, cls) => event.target.closest(`.${cls}`);
  document.querySelector(".k-agencies").addEventListener("click", (event) => {
    const tile = tileIn(event, "k-agency");
    if (tile) chooseAgency(tile.dataset.agency);
  });
  document.querySelector(".k-services").addEventListener("click", (event) => {
    const tile = tileIn(event, "k-service");
    if (tile) chooseService(tile.dataset.service);
  });
  for (const tile of document.querySelectorAll("[data-priority]")) tile.addEventListener("click", () => answerPriority(tile.dataset.priority));
  for (const back of document.querySelectorAll("[data-back]")) back.addEventListener("click", () => show(back.dataset.back));
  $("checkin-open").addEventListener("click", () => show("checkin"));
  $("checkin-form").addEventListener("submit", checkIn);
  $("checkin-code").addEventListener("input", () => ($("checkin-error").hidden = true));
  $("ticket-done").addEventListener("click", () => show("start"));
  $("reprint").addEventListener("click", printTicket);
  $("lang").addEventListener("click", switchLanguage);
  buildKeypad($("keypad"), $("checkin-code"), { clearLabel: "kiosk_checkin_clear" });
  wireNotify();
  texts.apply();
  // No way out of the kiosk: no context menu, no pinch zoom or drag of links and images.
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  document.addEventListener("dragstart", (event) => event.preventDefault());
  panel.attach($("site-name"));
  scannerOnStart();
  tick();
  setInterval(tick, 10_000);
}

// "Not set up", with why: the server's sentence in the kiosk's language first, the other language under it (the
// technician may read either), as the lobby TV says its refusals.
function setupSays(error) {
  const other = texts.lang === "en" ? error.message : error.message_en;
  const first = texts.error(error);
  $("setup-detail").textContent = first;
  $("setup-detail-other").textContent = other && other !== first ? other : "";
  $("setup-detail-other").lang = texts.lang === "en" ? "id" : "en";
  $("setup-detail-other").hidden = !(other && other !== first);
}

// The server refuses the kiosk's token (revoked since, never known, or none): nothing more is offered or polled,
// and a pairing code is shown over the "not set up" screen (with the server's sentence when a token was refused),
// for an admin to type on Settings -> Perangkat; paired, the kiosk starts by itself.
function notSetUp(error) {
  unusable = error;
  link.close();
  clearInterval(dayPoll);
  panel.close();
  setupSays(error);
  document.body.dataset.refusal = error.code;
  show("setup");
  forgetToken(kioskToken);
  if (!document.getElementById("pairing")) {
    new Pairing({ site, kind: "kiosk", lang: texts.lang, reason: kioskToken ? error : null }).start();
  }
}

// The kiosk's own settings (its printer) also prove its token: a wrong token shows "not set up", not a broken page.
async function connect() {
  const settings = await call("GET", `/citizen/api/${site}/kiosk`, { token: kioskToken });
  // Its token refused, none, or one that is not this site's kiosk's (a TV's, another mall's): a pairing code.
  const notThisKiosk = ["not_a_kiosk", "wrong_site"].includes(settings.error?.code);
  if (!settings.ok && (settings.error.details?.device_token || notThisKiosk)) return notSetUp(settings.error);
  if (!settings.ok) {
    setupSays(settings.error);
    show("setup");
    // A server away, or one that left this mall out at its start: tried again until it serves the mall (a kiosk
    // switched on meanwhile comes up by itself). A wrong token waits for the technician.
    if (["network", "site_not_served", "storage_unavailable"].includes(settings.error.code)) setTimeout(connect, 10_000);
    return;
  }
  printer.configure(settings.data);
  panel.kiosk = settings.data;
  await checkDay();
  // Ready once the day is read and the start shown: a tap while the day was still being read (a busy server) was
  // undone by this show("start"), the citizen's agency and large type with it.
  if (screen === "start" || screen === "setup") show("start");
  document.body.dataset.ready = "true";
  if (!unusable) {
    dayPoll = setInterval(checkDay, POLL_MS);
    link.start();
  }
}

// --- told by the server -------------------------------------------------------------------------------------------

// The kiosk's view (its snapshot, then a `kiosk` notice at each change): whether tickets can be taken, the
// configuration's version, and per service whether a counter is open and whether its quota is spent. What changed is
// read again over HTTP, as the poll reads it; a citizen is never told about the socket itself (the poll goes on).
let told = null;

function heard(frame) {
  if (frame.type === "error") {
    // Its token revoked (or never this mall's kiosk's): the server closes the socket; leave the tiles at once.
    if (frame.details?.device_token || ["not_a_kiosk", "wrong_site"].includes(frame.code)) notSetUp(frame);
    return;
  }
  if (frame.type !== "snapshot" && frame.type !== "kiosk") return;
  const view = frame.data || {};
  const before = told;
  told = view;
  if (unusable) return;
  const same = (key) => before && JSON.stringify(before[key]) === JSON.stringify(view[key]);
  if (!same("issuing") || !same("configuration_version")) checkDay({ now: true });
  if (!same("services") && screen === "services" && choice.agency) showWaits(choice.agency, { keep: true });
  if (!same("services")) markAgencies();
}

const link = new LiveClient({
  hello: () => ({ role: "kiosk", site, token: kioskToken, client: "kiosk/1" }),
  resume: false, // nothing to resume: each connection starts from the kiosk's view
  onMessage: heard,
  onStatus: (state, detail) => {
    // A hello refused for its token: the same screen as a refused poll. Any other refusal (its mall left out at the
    // server's start) is tried again every minute, and the poll says it to the citizen meanwhile.
    if (state === "refused" && (detail.error?.details?.device_token || ["not_a_kiosk", "wrong_site"].includes(detail.error?.code))) {
      notSetUp(detail.error);
    }
  },
  refusedRetryMs: 60_000,
  refusedRetries: Infinity,
});

window.__kiosk = {
  show, texts, printer, checkDay,
  get live() { return link.connected; }, // the websocket's hello was accepted
  get screen() { return screen; },
  get config() { return config; },
  get pendingConfig() { return Boolean(pendingConfig); }, // a new catalogue waiting for the start screen
};
wire();
connect();

// The front-office desk: sign in, issue a ticket for a citizen at the desk (channel "desk", with a priority group
// when it applies) and print it on the desk's printer through the browser. An operator sees their agency first.
// The services follow the site's configuration: when GET /api/v1/sites/{site}/today says `configuration_version`
// changed, they are drawn again from /desk/{site}/config, keeping the service already chosen if it still exists.
// Signed in, the desk hears a service paused or resumed and the day closed at once, over the websocket.
// A citizen who booked online is checked in here by their booking code, as at the kiosk: their booking's ticket is
// shown and printed as an issued one is, and a refusal says, after the server's sentence, what staff do next.

import { call, newKey } from "./api.js";
import { Texts, formatRange, formatTime, waitText } from "./i18n.js";
import { normaliseCode } from "./keypad.js";
import { printInFrame } from "./print_frame.js";
import { LiveClient } from "/static/shared/live-client.js";

let config = JSON.parse(document.getElementById("desk-config").textContent);
const site = config.site.id;
const texts = new Texts(config.text, config.lang);
const $ = (id) => document.getElementById(id);
const SESSION_KEY = `desk-session-${site}`;
let session = sessionStorage.getItem(SESSION_KEY);
let lastToken = null;
let pendingKey = null;
let ownAgency = null; // an operator's agency, shown first
let paused = {}; // service -> { reason, since, until }: its issuing paused today (GET .../waits)

function say(id, text) {
  $(id).textContent = text || "";
  $(id).hidden = !text;
}

function signedIn(user) {
  $("login").hidden = true;
  $("issue").hidden = false;
  $("checkin-form").hidden = false;
  $("reprint-form").hidden = false;
  $("sign-out").hidden = false;
  $("who").hidden = false;
  $("who").textContent = texts.t("desk_signed_in_as", { name: user.name });
  ownAgency = user.agency || null;
  ownFirst();
  link.start();
}

function ownFirst() {
  if (!ownAgency) return;
  const own = document.querySelector(`.d-agency[data-agency="${ownAgency}"]`);
  own?.parentElement.prepend(own);
}

// --- following the day, the configuration and the pauses --------------------------------------------------------
// Signed in, the desk follows the server over the websocket (role "desk", docs/protocol.md) and hears the kiosk's
// view at once: a service paused or resumed, the day closed or reopened, a configuration saved. A staff member would
// otherwise pick a service the server then refuses (409 issuing_paused), or see it still paused after it resumed.
// The poll (every `poll_seconds`, 15) stays: for what no event says (opening hours passing, the messaging gateway's
// breaker), and for when the socket is down or nobody is signed in yet.

const POLL_MS = (config.poll_seconds || 15) * 1000;
let knownVersion = null; // null: not compared yet (the page may have been drawn just before a change)
let notIssuing = null; // why no ticket can be issued now (the day closed, before opening time), as the server says it
let viewsHeard = 0; // views heard over the socket: a poll's answer asked before the latest one is older than it

// The page's JSON (keys sorted) and the route's (keys in the server's order) compared with their keys sorted.
const byKey = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);
const sortedKeys = (_, v) =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byKey)) : v;

// The day's few hundred bytes (GET .../today, as the kiosk reads them): whether tickets can be issued now, the
// messaging gateway, the configuration's version.
async function followDay() {
  const answer = await call("GET", `/api/v1/sites/${site}/today`);
  if (!answer.ok) return; // read again at the next poll
  followNotify(answer.data.notify?.available !== false);
  notIssuing = answer.data.issuing || (answer.data.today?.closed ? answer.data.today.error : null);
  sayNotIssuing();
  await followConfiguration(answer.data.configuration_version);
}

// Said above the services, in the server's words (the day closed, with the supervisor's reason); a ticket would be
// refused with the same sentence.
function sayNotIssuing() {
  say("not-issuing", notIssuing ? texts.error(notIssuing) : "");
  holdIssue();
}

// "Terbitkan dan cetak" is held while nothing can be issued (the day closed, before opening time), with why beside
// it (the server would refuse it), and while a ticket is on its way; released at once on a reopening heard.
let sending = false;

function holdIssue() {
  $("issue-button").disabled = sending || Boolean(notIssuing);
  say("issue-held", notIssuing ? texts.error(notIssuing) : "");
}

async function followConfiguration(version) {
  if (version === undefined || version === knownVersion) return;
  const answer = await call("GET", `/desk/${site}/config?lang=${encodeURIComponent(config.lang)}`);
  if (!answer.ok) return; // read again at the next poll
  knownVersion = version;
  const same = JSON.stringify(answer.data.agencies, sortedKeys) === JSON.stringify(config.agencies, sortedKeys);
  config = answer.data;
  if (!same) drawServices();
}

// A service whose issuing is paused today (its blank forms ran out, its central system is down) issues nothing here
// either (409 issuing_paused): its choice says why and cannot be picked, as the kiosk's tile. Heard over the socket;
// read with the poll, when staff pick a service, and at once after such a refusal.
async function followPauses() {
  const asked = viewsHeard;
  const answer = await call("GET", `/api/v1/sites/${site}/waits`);
  if (!answer.ok || asked !== viewsHeard) return; // read again at the next poll; or the socket told a newer view
  notePauses(answer.data.services);
}

// services: service -> { paused: null | { reason, since, until }, ... } (GET .../waits, or the kiosk's view)
function notePauses(services) {
  paused = Object.fromEntries(Object.entries(services || {}).filter(([, w]) => w.paused).map(([s, w]) => [s, w.paused]));
  markPaused();
}

// The kiosk's view (the snapshot, then a `kiosk` notice at each change): the pauses as they are, and what else
// changed (the day, the configuration) read again over HTTP, as the poll reads it.
let told = null;

function heard(frame) {
  if (frame.type !== "snapshot" && frame.type !== "kiosk") return;
  const view = frame.data || {};
  const before = told;
  told = view;
  viewsHeard += 1;
  notePauses(view.services);
  const same = (key) => before && JSON.stringify(before[key]) === JSON.stringify(view[key]);
  if (!same("issuing") || !same("configuration_version")) followDay();
}

const link = new LiveClient({
  hello: () => ({ role: "desk", site, token: session, client: "desk/1" }),
  resume: false, // nothing to resume: each connection starts from the view
  onMessage: heard,
  onStatus: (state, detail) => {
    // Signed out elsewhere, or the session ended: the server closes the socket, as the API would answer 401.
    if (state === "refused" && ["unauthenticated", "account_disabled"].includes(detail.error?.code)) signOut();
  },
});

function pausedText(pause) {
  if (!pause.until) return texts.t("kiosk_tile_paused", { reason: pause.reason });
  return texts.t("kiosk_tile_paused_until", { reason: pause.reason, until: formatTime(pause.until, texts.lang, config.site.timezone) });
}

function markPaused() {
  for (const input of $("services").querySelectorAll("input[name=service]")) {
    const pause = paused[input.value];
    const label = input.closest(".d-choice");
    let why = label.querySelector(".d-paused");
    input.disabled = Boolean(pause);
    label.classList.toggle("paused", Boolean(pause));
    if (pause && input.checked) {
      input.checked = false; // chosen before it was paused: not issued as if it worked
      // said, unless the server's refusal of it already is (its sentence says the same and more)
      if ($("issue-error").hidden) say("issue-error", `${label.querySelector(".d-name").textContent} — ${pausedText(pause)}`);
    }
    if (!pause) { why?.remove(); continue; }
    if (!why) {
      why = document.createElement("small");
      why.className = "d-paused";
      label.querySelector(".d-name").after(why);
    }
    why.textContent = pausedText(pause);
  }
}

// No number is taken while the site's WhatsApp/SMS gateway is paused by its breaker (it is out of reach): the desk
// says so instead, and a number already typed is not sent.
function followNotify(available) {
  if (!$("notify-fields")) return;
  $("notify-fields").hidden = !available;
  $("notify-off").hidden = available;
  if (!available) [$("issue").elements.phone.value, $("issue").elements.consent.checked] = ["", false];
}

// The same fieldsets the server renders (templates/desk.html).
function drawServices() {
  const chosen = $("issue").querySelector("input[name=service]:checked")?.value;
  const sets = config.agencies.map((a) => {
    const set = document.createElement("fieldset");
    set.className = "d-agency";
    set.dataset.agency = a.id;
    set.style.setProperty("--tile", a.colour);
    const legend = document.createElement("legend");
    legend.textContent = a.short_name;
    set.append(legend);
    for (const s of a.services) {
      const label = document.createElement("label");
      label.className = "d-choice";
      const input = document.createElement("input");
      Object.assign(input, { type: "radio", name: "service", value: s.id, required: true, checked: s.id === chosen });
      const name = document.createElement("span");
      name.className = "d-name";
      name.textContent = `${s.prefix} · ${s.name}`;
      label.append(input, name);
      set.append(label);
    }
    return set;
  });
  $("services").replaceChildren(...sets);
  ownFirst();
  markPaused();
}

async function signIn(event) {
  event.preventDefault();
  say("login-error", "");
  const { username, password } = event.target.elements;
  const answer = await call("POST", "/api/v1/auth/login", { body: { username: username.value, password: password.value } });
  password.value = "";
  if (!answer.ok) return say("login-error", texts.error(answer.error));
  session = answer.data.token;
  sessionStorage.setItem(SESSION_KEY, session);
  signedIn(answer.data.user);
}

async function signOut() {
  link.close();
  if (session) await call("POST", "/api/v1/auth/logout", { token: session });
  sessionStorage.removeItem(SESSION_KEY);
  session = null;
  location.reload();
}

async function issue(event) {
  event.preventDefault();
  if (sending || notIssuing) return holdIssue(); // Enter in a field while held: the server would refuse it
  say("issue-error", "");
  const fields = event.target.elements;
  const service = fields.service.value;
  if (!service) return say("issue-error", texts.t("desk_service") + "?");
  const body = { service, channel: "desk" };
  if (fields.priority.value) body.priority = fields.priority.value;
  const phone = fields.phone?.value.trim();
  if (phone) body.notify = { phone, consent: fields.consent.checked, lang: texts.lang };
  pendingKey = pendingKey || newKey(); // a second click after a lost answer returns the same ticket
  sending = true;
  holdIssue();
  const answer = await call("POST", `/api/v1/sites/${site}/tickets`, { token: session, body, headers: { "Idempotency-Key": pendingKey } });
  sending = false;
  holdIssue();
  if (answer.status === 401) return signOut();
  if (!answer.ok) {
    if (answer.error.code !== "network") pendingKey = null;
    if (answer.error.code === "issuing_paused") followPauses(); // paused since the last read: marked at once
    return say("issue-error", texts.error(answer.error));
  }
  pendingKey = null;
  event.target.querySelector('input[name="priority"][value=""]').checked = true; // the next citizen starts as not priority
  if (fields.phone) [fields.phone.value, fields.consent.checked] = ["", false]; // nor with this one's number
  showIssued(answer.data);
}

// The ticket just issued or checked in: its number, service, priority group and wait, and for a booking's ticket
// which booking it came from; printed on the desk's printer. Kept to be said again in the other language.
let shown = null;

function showIssued(data) {
  shown = data;
  lastToken = data.ticket.token;
  fillIssued();
  $("issued").hidden = false;
  $("issued").scrollIntoView({ block: "start" });
  printInFrame($("print-frame"), lastToken, texts.lang);
}

function fillIssued() {
  if (!shown) return;
  const data = shown;
  const line = $("d-issued-line");
  line.dataset.t = !data.booking ? "desk_issued" : data.again ? "desk_checked_in_again" : "desk_checked_in";
  line.textContent = texts.t(line.dataset.t);
  $("d-label").textContent = data.ticket.label;
  $("d-service").textContent = `${data.service_name} · ${data.agency_name}`;
  $("d-priority").textContent = priorityText(data.ticket.priority_group);
  $("d-priority").classList.toggle("is-priority", Boolean(data.ticket.priority_group));
  say("d-booking", data.booking ? texts.t("desk_from_booking", {
    code: data.booking.code,
    slot: formatRange(data.booking.slot, data.booking.slot_end, texts.lang),
  }) : "");
  $("d-wait").textContent = `${texts.t("kiosk_people_ahead")}: ${texts.t("people", { n: data.people_ahead })} · ${texts.t("kiosk_estimated_wait")}: ${waitText(texts, data.estimated_wait, data.estimated_wait_minutes)}`;
}

// The ticket's priority group as the forms name it, in the desk's language ("Bukan prioritas" when it has none): a
// second check-in shows the group its ticket kept, whatever was chosen then.
function priorityText(id) {
  if (!id) return texts.t("desk_priority_none");
  const group = config.priority_groups.find((g) => g.id === id);
  const name = group ? (texts.lang === "en" ? group.en_label : group.id_label) : id;
  return texts.t("desk_issued_priority", { group: name });
}

// --- a booking checked in at the desk --------------------------------------------------------------------------
// The code as the kiosk reads it ("bk 7q3m2x", "7Q3M2X", "ＢＫ－７Ｑ３Ｍ２Ｘ" are BK-7Q3M2X); anything else is said
// here without asking the server. A refusal is the server's sentence (from when check-in opens, the mall the booking
// is for ...) and then what staff do next, where the sentence does not say it for them.
const CHECKIN_STEPS = {
  unknown_booking: "desk_checkin_unknown",
  booking_other_site: "desk_checkin_other_site",
  checkin_too_early: "desk_checkin_too_early",
  booking_released: "desk_checkin_released",
  booking_cancelled: "desk_checkin_cancelled",
  already_checked_in: "desk_checkin_used",
};
let checkingIn = false; // one request at a time: a second Enter sends nothing
let checkinRefused = null; // what the last refusal was, to be said again in the other language

function sayCheckinRefusal() {
  const error = checkinRefused;
  const step = error && error !== "invalid" && CHECKIN_STEPS[error.code];
  const said = !error ? [] : error === "invalid" ? [texts.t("desk_checkin_invalid")] : [texts.error(error), step && texts.t(step)];
  say("checkin-error", said.filter(Boolean).join(" "));
  if (error) $("checkin-code").setAttribute("aria-invalid", "true");
  else $("checkin-code").removeAttribute("aria-invalid");
}

async function checkIn(event) {
  event.preventDefault();
  if (checkingIn) return;
  checkinRefused = null;
  sayCheckinRefusal();
  const input = $("checkin-code");
  const code = normaliseCode(input.value);
  input.value = code;
  if (!/^BK-[A-Z0-9]{6}$/.test(code)) {
    checkinRefused = "invalid";
    sayCheckinRefusal();
    return input.focus();
  }
  checkingIn = true;
  $("checkin-button").disabled = true;
  let answer;
  try {
    // The priority group staff chose, as when issuing; a second check-in (a reprint) keeps the ticket's own.
    const priority = event.target.elements["checkin-priority"].value;
    const body = priority ? { priority } : undefined;
    answer = await call("POST", `/api/v1/sites/${site}/bookings/${encodeURIComponent(code)}/check-in`, { token: session, body });
  } finally {
    checkingIn = false;
    $("checkin-button").disabled = false;
  }
  if (answer.status === 401) return signOut();
  if (!answer.ok) {
    checkinRefused = answer.error;
    sayCheckinRefusal();
    return input.focus(); // a typo is fixed where it was typed
  }
  input.value = "";
  event.target.querySelector('input[name="checkin-priority"][value=""]').checked = true; // the next citizen: not priority
  showIssued(answer.data); // also a second check-in while its ticket waits: the same ticket, printed again
}

// A citizen who lost their slip: today's open ticket by its number, printed again with its QR (audited).
async function reprint(event) {
  event.preventDefault();
  say("reprint-error", "");
  say("reprint-done", "");
  const number = event.target.elements.ticket.value.trim();
  if (!number) return;
  const answer = await call("POST", `/api/v1/sites/${site}/tickets/${encodeURIComponent(number)}/reprint`, { token: session });
  if (answer.status === 401) return signOut();
  if (!answer.ok) return say("reprint-error", texts.error(answer.error));
  event.target.elements.ticket.value = "";
  say("reprint-done", texts.t("desk_reprinted", { ticket: answer.data.ticket.label }));
  printInFrame($("print-frame"), answer.data.token, texts.lang);
}

$("login").addEventListener("submit", signIn);
$("reprint-form").addEventListener("submit", reprint);
$("checkin-form").addEventListener("submit", checkIn);
$("checkin-code").addEventListener("input", () => {
  checkinRefused = null; // being corrected: the refusal was of the code before
  sayCheckinRefusal();
});
$("issue").addEventListener("submit", issue);
$("issue").addEventListener("change", (event) => {
  pendingKey = null; // another choice is another ticket
  if (event.target.name === "service") followPauses();
});
$("sign-out").addEventListener("click", signOut);
$("reprint").addEventListener("click", () => lastToken && printInFrame($("print-frame"), lastToken, texts.lang));
$("lang").addEventListener("click", () => {
  texts.lang = texts.lang === "id" ? "en" : "id";
  texts.apply();
  markPaused();
  sayNotIssuing();
  fillIssued();
  sayCheckinRefusal();
});
texts.apply();
setInterval(() => { followDay(); followPauses(); }, POLL_MS);
followDay();
followPauses();
window.__desk = { get live() { return link.connected; } }; // the websocket's hello was accepted
if (session) {
  call("GET", "/api/v1/me", { token: session }).then((answer) => {
    if (answer.ok) signedIn(answer.data);
    else sessionStorage.removeItem(SESSION_KEY);
  });
}

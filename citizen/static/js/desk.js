// The front-office desk: sign in, issue a ticket for a citizen at the desk (channel "desk", with a priority group
// when it applies) and print it on the desk's printer through the browser. An operator sees their agency first.
// The services follow the site's configuration: when GET /api/v1/sites/{site} says `configuration_version`
// changed, they are drawn again from /desk/{site}/config, keeping the service already chosen if it still exists.

import { call, newKey } from "./api.js";
import { Texts, formatTime, waitText } from "./i18n.js";
import { printInFrame } from "./print_frame.js";

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
  $("reprint-form").hidden = false;
  $("sign-out").hidden = false;
  $("who").hidden = false;
  $("who").textContent = texts.t("desk_signed_in_as", { name: user.name });
  ownAgency = user.agency || null;
  ownFirst();
}

function ownFirst() {
  if (!ownAgency) return;
  const own = document.querySelector(`.d-agency[data-agency="${ownAgency}"]`);
  own?.parentElement.prepend(own);
}

// --- following the site's configuration ------------------------------------------------------------------------

const POLL_MS = 15_000;
let knownVersion = null; // null: not compared yet (the page may have been drawn just before a change)

// The page's JSON (keys sorted) and the route's (keys in the server's order) compared with their keys sorted.
const byKey = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);
const sortedKeys = (_, v) =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byKey)) : v;

async function followConfiguration() {
  const catalogue = await call("GET", `/api/v1/sites/${site}`);
  if (catalogue.ok) followNotify(catalogue.data.notify?.available !== false);
  const version = catalogue.ok ? catalogue.data.configuration_version : undefined;
  if (version === undefined || version === knownVersion) return;
  const answer = await call("GET", `/desk/${site}/config?lang=${encodeURIComponent(config.lang)}`);
  if (!answer.ok) return; // read again at the next poll
  knownVersion = version;
  const same = JSON.stringify(answer.data.agencies, sortedKeys) === JSON.stringify(config.agencies, sortedKeys);
  config = answer.data;
  if (!same) drawServices();
}

// A service whose issuing is paused today (its blank forms ran out, its central system is down) issues nothing here
// either (409 issuing_paused): its choice says why and cannot be picked, as the kiosk's tile. Read with the
// configuration's poll, when staff pick a service, and at once after such a refusal.
async function followPauses() {
  const answer = await call("GET", `/api/v1/sites/${site}/waits`);
  if (!answer.ok) return; // read again at the next poll
  paused = Object.fromEntries(Object.entries(answer.data.services || {}).filter(([, w]) => w.paused).map(([s, w]) => [s, w.paused]));
  markPaused();
}

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
  if (session) await call("POST", "/api/v1/auth/logout", { token: session });
  sessionStorage.removeItem(SESSION_KEY);
  session = null;
  location.reload();
}

async function issue(event) {
  event.preventDefault();
  say("issue-error", "");
  const fields = event.target.elements;
  const service = fields.service.value;
  if (!service) return say("issue-error", texts.t("desk_service") + "?");
  const body = { service, channel: "desk" };
  if (fields.priority.value) body.priority = fields.priority.value;
  const phone = fields.phone?.value.trim();
  if (phone) body.notify = { phone, consent: fields.consent.checked, lang: texts.lang };
  pendingKey = pendingKey || newKey(); // a second click after a lost answer returns the same ticket
  $("issue-button").disabled = true;
  const answer = await call("POST", `/api/v1/sites/${site}/tickets`, { token: session, body, headers: { "Idempotency-Key": pendingKey } });
  $("issue-button").disabled = false;
  if (answer.status === 401) return signOut();
  if (!answer.ok) {
    if (answer.error.code !== "network") pendingKey = null;
    if (answer.error.code === "issuing_paused") followPauses(); // paused since the last read: marked at once
    return say("issue-error", texts.error(answer.error));
  }
  pendingKey = null;
  const data = answer.data;
  lastToken = data.ticket.token;
  $("issued").hidden = false;
  $("d-label").textContent = data.ticket.label;
  $("d-service").textContent = `${data.service_name} · ${data.agency_name}`;
  $("d-wait").textContent = `${texts.t("kiosk_people_ahead")}: ${texts.t("people", { n: data.people_ahead })} · ${texts.t("kiosk_estimated_wait")}: ${waitText(texts, data.estimated_wait, data.estimated_wait_minutes)}`;
  event.target.querySelector('input[name="priority"][value=""]').checked = true; // the next citizen starts as not priority
  if (fields.phone) [fields.phone.value, fields.consent.checked] = ["", false]; // nor with this one's number
  $("issued").scrollIntoView({ block: "start" });
  printInFrame($("print-frame"), lastToken, texts.lang);
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
});
texts.apply();
setInterval(() => { followConfiguration(); followPauses(); }, POLL_MS);
followConfiguration();
followPauses();
if (session) {
  call("GET", "/api/v1/me", { token: session }).then((answer) => {
    if (answer.ok) signedIn(answer.data);
    else sessionStorage.removeItem(SESSION_KEY);
  });
}

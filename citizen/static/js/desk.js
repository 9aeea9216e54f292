// The front-office desk: sign in, issue a ticket for a citizen at the desk (channel "desk", with a priority group
// when it applies) and print it on the desk's printer through the browser. An operator sees their agency first.
// The services follow the site's configuration: when GET /api/v1/sites/{site} says `configuration_version`
// changed, they are drawn again from /desk/{site}/config, keeping the service already chosen if it still exists.

import { call, newKey } from "./api.js";
import { Texts, waitText } from "./i18n.js";
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
      name.textContent = `${s.prefix} · ${s.name}`;
      label.append(input, name);
      set.append(label);
    }
    return set;
  });
  $("services").replaceChildren(...sets);
  ownFirst();
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
$("issue").addEventListener("change", () => (pendingKey = null)); // another choice is another ticket
$("sign-out").addEventListener("click", signOut);
$("reprint").addEventListener("click", () => lastToken && printInFrame($("print-frame"), lastToken, texts.lang));
$("lang").addEventListener("click", () => {
  texts.lang = texts.lang === "id" ? "en" : "id";
  texts.apply();
});
texts.apply();
setInterval(followConfiguration, POLL_MS);
followConfiguration();
if (session) {
  call("GET", "/api/v1/me", { token: session }).then((answer) => {
    if (answer.ok) signedIn(answer.data);
    else sessionStorage.removeItem(SESSION_KEY);
  });
}

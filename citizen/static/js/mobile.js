// The citizen's phone: the ticket's number, place in the queue and wait, followed live. The ticket websocket pushes
// the ticket's own events (called, recalled, started, finished, transferred, cancelled) and a "status" frame
// whenever its place in the line changes (someone ahead was called, someone joined ahead). The status is also
// re-read after each own event, when the phone wakes up, and once a minute while waiting, as a safety net.

import { call } from "./api.js";
import { confirmDialog, withdrawConfirm } from "./dialog.js";
import { Texts, formatTime, waitInWords, waitText } from "./i18n.js";
import { Modes } from "./modes.js";
import { Alerter } from "./sound.js";
import { LiveClient } from "/static/shared/live-client.js";

const config = JSON.parse(document.getElementById("ticket-config").textContent);
const texts = new Texts(config.text, config.lang);
new Modes(); // high contrast and large type, remembered by this phone
const alerter = new Alerter();
const $ = (id) => document.getElementById(id);
const statusUrl = `/api/v1/tickets/${encodeURIComponent(config.token)}`;
let status = config.status;
const announced = new Set();
const REDUCED_MOTION = matchMedia("(prefers-reduced-motion: reduce)");
let notifiedTo = null; // the masked number messages go to, once given on this page
let stopped = false; // messages stopped on this page: said until the ticket moves on (a status must not wipe it)

// "Loket 9, Lantai 2" in a mall whose counters are on more than one floor (as the lobby TV names it), else "Loket 9".
function counterName(ticket) {
  const known = config.counters[ticket.counter];
  const name = status.counter_name || known?.name || ticket.counter || "";
  const zone = status.counter_name ? status.counter_zone : known?.zone;
  return zone ? `${name}, ${zone}` : name;
}

// The ticket a cancel question is open about: withdrawn once that ticket can no longer be cancelled (being served,
// done, transferred to a new number ...), so a late "Ya, batalkan" cannot meet a refusal, or another number.
let cancelAsked = null;
const OVER = new Set(["serving", "done", "cancelled", "expired", "transferred"]); // no cancel button (mobile.css)

function render() {
  const ticket = status.ticket;
  const state = ticket.state;
  if (cancelAsked !== null && (ticket.id !== cancelAsked || OVER.has(state))) {
    cancelAsked = null;
    withdrawConfirm();
  }
  $("main").dataset.state = state;
  $("label").textContent = ticket.label;
  $("label").style.setProperty("--chars", ticket.label.length); // its size follows the card's width (mobile.css)
  $("service").textContent = status.service_name;
  $("agency").textContent = status.agency_name;
  $("waiting").hidden = state !== "waiting";
  $("ahead").textContent = status.people_ahead ?? "–";
  // "55–90" stays on one line in large type (a word joiner each side of the dash); "sekitar" and "menit" may wrap.
  $("wait").textContent = waitText(texts, status.estimated_wait, status.estimated_wait_minutes).replace("–", "\u2060–\u2060");
  $("wait").classList.toggle("words", waitInWords(status.estimated_wait));
  // The service's issuing paused (its central system down, blank forms run out): why, and that this ticket stands.
  const paused = state === "waiting" ? status.issuing_paused : null;
  $("paused").hidden = !paused;
  $("paused").textContent = paused ? pausedText(paused) : "";
  const newlyCalled = state === "called" && $("turn").hidden;
  $("turn").hidden = state !== "called";
  // On a small phone the banner is below the fold: bring it into view once, when the call comes.
  if (newlyCalled) $("turn").scrollIntoView({ block: "center", behavior: REDUCED_MOTION.matches ? "auto" : "smooth" });
  if (state === "called") $("turn-where").textContent = texts.t("ticket_go_to", { counter: counterName(ticket) });
  const line = {
    serving: texts.t("ticket_serving", { counter: counterName(ticket) }),
    parked: texts.t("ticket_parked", { counter: counterName(ticket) }),
    done: texts.t("ticket_done"),
    no_show: texts.t("ticket_no_show"),
    cancelled: texts.t("ticket_cancelled"),
    // the day closed early, and why where the supervisor said it ("Gangguan listrik"): citizens are owed the reason
    expired: status.day_closed_reason ? texts.t("ticket_expired_closed", { reason: status.day_closed_reason }) : texts.t("ticket_expired"),
    transferred: texts.t("ticket_transferred"),
    waiting: stopped && !status.messages?.on ? texts.t("notify_stopped") : undefined,
  }[state];
  $("state-line").hidden = !line;
  $("state-line").textContent = line || "";
  const messages = status.messages || { offered: false, on: false };
  const offer = messages.offered && !messages.on && state === "waiting";
  $("notify").hidden = !offer || messages.available === false; // not while the gateway is paused by its breaker
  $("notify-off").hidden = !offer || messages.available !== false;
  $("notify-on").hidden = !messages.on || !["waiting", "called"].includes(state);
  $("notify-stop").hidden = $("notify-on").hidden;
  if (messages.on) $("notify-on").textContent = notifiedTo ? texts.t("notify_on", { phone: notifiedTo }) : texts.t("notify_active");
  document.title = `${ticket.label} · ${config.site.name}`;
  if (state === "done") offerSurvey();
}

function pausedText(paused) {
  if (!paused.until) return texts.t("ticket_paused", { reason: paused.reason });
  const until = formatTime(paused.until, texts.lang, config.site.timezone);
  return texts.t("ticket_paused_until", { reason: paused.reason, until });
}

// --- the SKM survey, once served: nine questions, one at a time, four answers each ---------------------------------

let survey = null; // {questions, step, answers} once this page asked whether the ticket may answer

async function offerSurvey() {
  if (survey) return;
  survey = { questions: [], step: 0, answers: [] };
  const answer = await call("GET", `${statusUrl}/survey`);
  if (!answer.ok) return (survey = null); // asked again at the next status
  $("survey").hidden = !(answer.data.can_answer || answer.data.answered);
  if (answer.data.answered) return surveySaid(texts.t("survey_answered"));
  survey.questions = answer.data.questions;
}

function surveySaid(text) {
  $("survey-start").hidden = $("survey-intro").hidden = $("survey-step").hidden = true;
  $("survey-said").hidden = false;
  $("survey-said").textContent = text;
}

function drawSurveyStep() {
  const q = survey.questions[survey.step];
  const en = texts.lang === "en";
  $("survey-start").hidden = $("survey-intro").hidden = true;
  $("survey-step").hidden = false;
  $("survey-progress").textContent = texts.t("survey_progress", { n: survey.step + 1, total: survey.questions.length });
  $("survey-element").textContent = en ? q.name_en : q.name;
  $("survey-question").textContent = en ? q.question_en : q.question;
  $("survey-choices").replaceChildren(...q.answers.map((a) => {
    const button = Object.assign(document.createElement("button"), { type: "button" });
    button.dataset.value = a.value;
    button.setAttribute("aria-pressed", String(survey.answers[survey.step] === a.value));
    const n = Object.assign(document.createElement("span"), { className: "n", textContent: a.value });
    button.append(n, document.createTextNode(en ? a.label_en : a.label));
    return button;
  }));
  $("survey-back").hidden = survey.step === 0;
  $("survey-choices").querySelector("button")?.focus();
}

async function chooseAnswer(event) {
  const button = event.target.closest("button[data-value]");
  if (!button) return;
  survey.answers[survey.step] = Number(button.dataset.value);
  if (survey.step + 1 < survey.questions.length) {
    survey.step += 1;
    return drawSurveyStep();
  }
  surveySaid(texts.t("survey_sending"));
  const answer = await call("POST", `${statusUrl}/survey`, { body: { answers: survey.answers } });
  const answered = answer.ok || answer.error?.code === "survey_already_answered";
  if (answered) return surveySaid(texts.t("survey_thanks"));
  surveySaid(texts.error(answer.error));
  $("survey-start").hidden = false; // try again
  survey.step = 0;
}

// Each call (and each recall) alerts once, whether it arrives as an event or in a snapshot after a reconnect.
function alertOnce(ticket, announcement) {
  if (ticket.state !== "called") return;
  const key = `${ticket.id}:${ticket.called_at}:${ticket.recalls}`;
  if (announced.has(key)) return;
  announced.add(key);
  alerter.announce(announcement).then((how) => (document.body.dataset.alerted = how));
}

// An answer to a status request sent before the latest websocket message may be older than that message (the
// browser does not keep a fetch and a websocket in order): seen as a phone showing "called" again after "serving".
// Each message makes the requests in flight stale; each ticket event sends a fresh one.
let statusRequests = 0;

async function refresh() {
  const mine = ++statusRequests;
  const answer = await call("GET", statusUrl);
  if (answer.ok && mine === statusRequests) {
    status = answer.data;
    render();
  }
}

function onMessage(message) {
  statusRequests += 1;
  if ((message.type === "snapshot" || message.type === "status") && message.data?.ticket) {
    status = message.data;
    render();
    alertOnce(status.ticket, null);
  } else if (message.type?.startsWith("ticket.")) {
    const ticket = message.data.new_ticket || message.data.ticket;
    const counter = config.counters[ticket.counter];
    status = { ...status, ticket, counter_name: counter?.name || null, counter_zone: counter?.zone || null };
    render();
    alertOnce(ticket, message.data.announcement);
    refresh();
  }
}

async function cancel() {
  cancelAsked = status.ticket.id;
  const yes = await confirmDialog({
    title: texts.t("ticket_cancel"),
    text: texts.t("ticket_cancel_confirm", { label: status.ticket.label }),
    yes: texts.t("ticket_cancel_yes"),
    no: texts.t("ticket_cancel_no"),
  });
  const still = cancelAsked !== null;
  cancelAsked = null;
  if (!yes || !still) return;
  const answer = await call("POST", `${statusUrl}/cancel`);
  $("error").hidden = answer.ok;
  if (!answer.ok) return ($("error").textContent = texts.error(answer.error));
  statusRequests += 1;
  status = { ...status, ticket: answer.data.ticket };
  render();
}

// The citizen asks to be messaged: the number goes to the server once and is cleared from the page; the answer
// shows it masked. Holding the ticket's link is the authority, as for cancelling.
async function leaveNumber(event) {
  event.preventDefault();
  const phone = $("notify-phone").value.trim();
  $("notify-submit").disabled = true;
  const answer = await call("POST", `${statusUrl}/notify`, { body: { phone, lang: texts.lang, consent: $("notify-consent").checked } });
  $("notify-submit").disabled = false;
  $("notify-error").hidden = answer.ok;
  if (!answer.ok) return ($("notify-error").textContent = texts.error(answer.error));
  $("notify-phone").value = "";
  notifiedTo = answer.data.phone;
  status = { ...status, messages: { ...status.messages, offered: true, on: true } };
  render();
}

// The citizen withdraws their consent: no more messages, and the server deletes the number at once.
async function stopMessages() {
  $("notify-stop").disabled = true;
  const answer = await call("DELETE", `${statusUrl}/notify`);
  $("notify-stop").disabled = false;
  $("notify-error").hidden = answer.ok;
  if (!answer.ok) return ($("notify-error").textContent = texts.error(answer.error));
  notifiedTo = null;
  stopped = true;
  status = { ...status, messages: { ...status.messages, offered: true, on: false } };
  render();
}

function enableSound() {
  alerter.unlock();
  $("sound").dataset.t = "ticket_sound_on";
  $("sound").textContent = texts.t("ticket_sound_on");
  $("sound").disabled = true;
}

function switchLanguage() {
  texts.lang = texts.lang === "id" ? "en" : "id";
  texts.apply();
  render();
  if (survey && !$("survey-step").hidden) drawSurveyStep();
}

$("cancel").addEventListener("click", cancel);
$("survey-start").addEventListener("click", () => {
  $("survey-said").hidden = true;
  drawSurveyStep();
});
$("survey-choices").addEventListener("click", chooseAnswer);
$("survey-back").addEventListener("click", () => {
  survey.step = Math.max(0, survey.step - 1);
  drawSurveyStep();
});
$("notify-form").addEventListener("submit", leaveNumber);
$("notify-stop").addEventListener("click", stopMessages);
$("sound").addEventListener("click", enableSound);
$("lang").addEventListener("click", switchLanguage);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && refresh());
setInterval(() => {
  if (status.ticket.state === "waiting" && document.visibilityState === "visible") refresh();
}, config.refresh_seconds * 1000);

// Phones sleep and change networks: the link keeps trying. Each connection starts from a fresh snapshot (the
// status of the line is not replayed). A refused ticket (gone from the server) is retried each minute for an hour.
const link = new LiveClient({
  hello: { role: "ticket", ticket: config.token, client: "citizen-mobile/1" },
  resume: false,
  onMessage,
  onStatus: (state) => {
    if (state === "connecting" || state === "closed") return;
    const shown = state === "connected" ? "live" : "offline";
    document.body.dataset.link = shown;
    $("offline").hidden = shown !== "offline";
    $("waiting").setAttribute("aria-busy", String(shown === "offline")); // its figures are not live meanwhile
  },
  refusedRetryMs: 60_000,
  refusedRetries: 60,
});
texts.apply();
render();
link.start();
window.__ticket = { refresh, get status() { return status; } };

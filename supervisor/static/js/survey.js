// The survey tablet at a counter: when the counter finishes a ticket, the citizen in front of it answers the nine
// SKM questions (one per screen, four big answers each), and the answers go to the server for that ticket. The
// tablet follows its counter over the websocket (staff signed in once); it shows nothing else.

import { T, api, applyTexts, boot, config, currentLang, el, errorText, onLangChange, site, token } from "./common.js";
import { LiveClient } from "/static/shared/live-client.js";

const $ = (id) => document.getElementById(id);
const QUESTIONS = config.questions;
const IDLE_AFTER_MS = 120000; // a citizen who walked away: back to the idle screen
const THANKS_MS = 6000;

let ticket = null;
let answers = [];
let step = 0;
let timer = null;

function show(screen) {
  for (const id of ["idle", "question", "thanks"]) $(id).hidden = id !== screen;
  clearTimeout(timer);
  if (screen === "question") timer = setTimeout(() => show("idle"), IDLE_AFTER_MS);
  if (screen === "thanks") timer = setTimeout(() => show("idle"), THANKS_MS);
}

function drawQuestion() {
  const q = QUESTIONS[step];
  const en = currentLang() === "en";
  $("q-ticket").textContent = `${T("survey_ticket")} ${ticket.label}`;
  $("q-progress").textContent = `${T("survey_question")} ${step + 1} ${T("survey_of")} ${QUESTIONS.length}`;
  $("q-fill").style.width = `${((step + 1) / QUESTIONS.length) * 100}%`;
  $("q-element").textContent = en ? q.name_en : q.name;
  $("q-text").textContent = en ? q.question_en : q.question;
  $("q-choices").replaceChildren(...q.answers.map((a) => el("button", {
    type: "button", class: `choice v${a.value}`, "data-value": a.value,
    "aria-pressed": answers[step] === a.value ? "true" : "false",
  }, el("span", { class: "n", text: a.value }), el("span", { class: "label", text: en ? a.label_en : a.label }))));
  $("q-back").disabled = step === 0;
  show("question");
}

function begin(finished) {
  ticket = finished;
  answers = [];
  step = 0;
  drawQuestion();
}

async function submit() {
  $("thanks-title").textContent = T("survey_sending");
  $("thanks-sub").textContent = "";
  show("thanks");
  const result = await api(`/api/v1/sites/${site.id}/tickets/${ticket.id}/survey`, { method: "POST", body: { answers } });
  const answered = result.ok || (result.body && result.body.error && result.body.error.code === "survey_already_answered");
  $("thanks-title").textContent = answered ? T("survey_thanks") : T("survey_failed");
  $("thanks-sub").textContent = answered ? T("survey_thanks_sub") : errorText(result.body);
  show("thanks");
}

function choose(value) {
  answers[step] = value;
  if (step + 1 < QUESTIONS.length) {
    step += 1;
    drawQuestion();
  } else {
    submit();
  }
}

function onFrame(frame) {
  if (frame.type !== "ticket.finished") return;
  const finished = frame.data.ticket;
  if (finished && finished.counter === config.counter.id) begin(finished);
}

function start() {
  $("q-choices").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-value]");
    if (button) choose(Number(button.dataset.value));
  });
  $("q-back").addEventListener("click", () => {
    if (step > 0) {
      step -= 1;
      drawQuestion();
    }
  });
  $("q-skip").addEventListener("click", () => show("idle"));
  show("idle");
  new LiveClient({
    hello: () => ({ role: "counter", site: site.id, counter: config.counter.id, token: token() }),
    onMessage: onFrame,
    onStatus: (state, detail) => {
      if (state === "refused") $("idle").replaceChildren(el("h1", { text: errorText(detail.error) }));
    },
  }).start();
}

onLangChange(() => {
  applyTexts();
  if (!$("question").hidden) drawQuestion();
});
boot(start);

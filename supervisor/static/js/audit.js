// The audit log: privileged actions of a period, newest first, paged back by entry id.

import { T, api, applyTexts, boot, currentLang, dateWords, describeDates, el, errorText, incompleteDate, labelCells, onLangChange, site } from "./common.js";

const $ = (id) => document.getElementById(id);
let oldest = null;

// The server words each entry in both languages (names, not codes; Indonesian dates): show the page's language.
const said = (words) => words[currentLang()] || words.id;
let shown = [];
let period = null; // the period of the entries shown

// A refused period: the reason under the fields, the field it is about marked invalid (the reason describes it), and
// the fields back to the period the log below still shows, which the reason names (as the report page does).
function refused(body) {
  const form = $("filters");
  const error = body && body.error ? body.error : {};
  const field = error.details && error.details.field;
  const wrong = String(error.code).startsWith("period_") ? ["from", "to"] : [field];
  let reason = errorText(body);
  if (period) {
    form.elements.from.value = period.from;
    form.elements.to.value = period.to;
    describeDates(form);
    const days = period.from === period.to
      ? dateWords(period.from) : `${dateWords(period.from)} – ${dateWords(period.to)}`;
    reason = `${reason} ${T("log_still_for").replace("{period}", () => days)}`;
  }
  $("filter-error").textContent = reason;
  for (const name of ["from", "to"]) {
    if (wrong.includes(name)) form.elements[name].setAttribute("aria-invalid", "true");
    else form.elements[name].removeAttribute("aria-invalid");
  }
}

// On a phone each entry is a card headed by what was done ("lead"): the column a reader looks for, which was off
// screen to the right of a table scrolled sideways.
function row(e) {
  return el("tr", { "data-entry": e.id },
    el("td", { text: said(e.when) }), el("td", { text: e.actor }), el("td", { text: said(e.role_name) }),
    el("td", { class: "lead", text: said(e.summary) }), el("td", { class: "num", text: e.seq }));
}

function draw() {
  $("entries").replaceChildren(...shown.map(row));
  labelCells($("audit"));
}

async function load(more = false) {
  const form = $("filters");
  const params = new URLSearchParams();
  // More of the same log: its own period, whatever the fields were changed to since.
  const asked = more && period ? period : { from: form.elements.from.value, to: form.elements.to.value };
  for (const key of ["from", "to"]) if (asked[key]) params.set(key, asked[key]);
  if (more && oldest) params.set("before", oldest);
  const result = await api(`/api/v1/sites/${site.id}/audit?${params}`);
  if (!result.ok) {
    refused(result.body);
    return;
  }
  $("filter-error").textContent = "";
  for (const name of ["from", "to"]) form.elements[name].removeAttribute("aria-invalid");
  const { entries } = result.body;
  period = result.body.period;
  form.elements.from.value = period.from;
  form.elements.to.value = period.to;
  describeDates(form);
  shown = more ? [...shown, ...entries] : entries;
  draw();
  oldest = entries.length ? entries[entries.length - 1].id : oldest;
  $("more").hidden = entries.length < 200;
  $("empty").hidden = $("entries").children.length > 0;
}

function start() {
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const incomplete = incompleteDate($("filters"));
    if (incomplete) {
      refused(incomplete);
      return;
    }
    oldest = null;
    load();
  });
  $("more").addEventListener("click", () => load(true));
  load();
}

onLangChange(() => {
  applyTexts();
  draw();
});
boot(start);

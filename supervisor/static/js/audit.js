// The audit log: privileged actions of a period, newest first, paged back by entry id.

import { api, applyTexts, boot, currentLang, describeDates, el, errorText, onLangChange, site } from "./common.js";

const $ = (id) => document.getElementById(id);
let oldest = null;

// The server words each entry in both languages (names, not codes; Indonesian dates): show the page's language.
const said = (words) => words[currentLang()] || words.id;
let shown = [];

function row(e) {
  return el("tr", { "data-entry": e.id },
    el("td", { text: said(e.when) }), el("td", { text: e.actor }), el("td", { text: said(e.role_name) }),
    el("td", { text: said(e.summary) }), el("td", { class: "num", text: e.seq }));
}

async function load(more = false) {
  const form = $("filters");
  const params = new URLSearchParams();
  for (const key of ["from", "to"]) if (form.elements[key].value) params.set(key, form.elements[key].value);
  if (more && oldest) params.set("before", oldest);
  const result = await api(`/api/v1/sites/${site.id}/audit?${params}`);
  if (!result.ok) {
    $("filter-error").textContent = errorText(result.body);
    return;
  }
  $("filter-error").textContent = "";
  const { entries, period } = result.body;
  form.elements.from.value = period.from;
  form.elements.to.value = period.to;
  describeDates(form);
  shown = more ? [...shown, ...entries] : entries;
  $("entries").replaceChildren(...shown.map(row));
  oldest = entries.length ? entries[entries.length - 1].id : oldest;
  $("more").hidden = entries.length < 200;
  $("empty").hidden = $("entries").children.length > 0;
}

function start() {
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    oldest = null;
    load();
  });
  $("more").addEventListener("click", () => load(true));
  load();
}

onLangChange(() => {
  applyTexts();
  $("entries").replaceChildren(...shown.map(row));
});
boot(start);

// The audit log: privileged actions of a period, newest first, paged back by entry id.

import { api, applyTexts, boot, el, errorText, onLangChange, site } from "./common.js";

const $ = (id) => document.getElementById(id);
let oldest = null;

function when(iso) {
  return iso.replace("T", " ").slice(0, 19);
}

function details(entry) {
  return Object.entries(entry.details).map(([k, v]) => `${k}: ${v}`).join(", ");
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
  const rows = entries.map((e) => el("tr", { "data-entry": e.id },
    el("td", { class: "num", text: when(e.at) }), el("td", { text: e.actor }), el("td", { text: e.role }),
    el("td", { text: e.action }), el("td", { text: e.target }), el("td", { text: details(e) }),
    el("td", { class: "num", text: e.seq })));
  if (more) $("entries").append(...rows);
  else $("entries").replaceChildren(...rows);
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

onLangChange(() => applyTexts());
boot(start);

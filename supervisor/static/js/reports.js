// Reports: one period of local days, per agency/service/counter/operator, the server's SVG charts, the satisfaction
// index (IKM), CSV downloads and a printable page. Every number is the server's; this page only lays them out.

import { T, api, applyTexts, boot, currentLang, dateWords, describeDates, download, el, errorText, onLangChange, site, whenWords, zoneLabel } from "./common.js";

const $ = (id) => document.getElementById(id);
let report = null;
let index = null;

function number(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat(currentLang() === "en" ? "en-GB" : "id-ID", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(value);
}

const minutes = (seconds) => (seconds === null || seconds === undefined ? "–" : number(seconds / 60));
// "12,5 mnt"; nothing measured: "–" alone, not "– mnt".
const withUnit = (seconds) => (seconds === null || seconds === undefined ? "–" : `${minutes(seconds)} ${T("minutes_short")}`);

function query() {
  const form = $("filters");
  const params = new URLSearchParams();
  for (const key of ["from", "to", "agency"]) if (form.elements[key].value) params.set(key, form.elements[key].value);
  return params;
}

// --- drawing ----------------------------------------------------------------------------------------------------

// Expired tickets (citizens the day closed on before their call) are never "still open": a closed day's report
// counts them apart. Waits are measured only for citizens who were called (domain/measures.py); the page says so.
function summary() {
  const t = report.totals;
  const items = [
    ["citizens", t.citizens], ["tickets", t.tickets], ["served", t.served], ["no_show", t.no_show],
    ["cancelled", t.cancelled], ["transferred", t.transferred], ["expired", t.expired], ["still_open", t.open],
    ["mean_wait", withUnit(t.wait.mean)], ["p90_wait", withUnit(t.wait.p90)], ["mean_service", withUnit(t.service.mean)],
  ];
  $("summary").replaceChildren(...items.map(([key, value]) => el("div", { class: "figure", "data-figure": key },
    el("span", { class: "k", text: T(key) }), el("strong", { text: value }))));
}

function groupTable(id, rows) {
  const head = el("tr", {},
    el("th", { text: T("name") }),
    ...["tickets", "served", "no_show", "cancelled", "transferred", "expired"].map((k) => el("th", { class: "num", text: T(k) })),
    ...["mean_wait", "p50_wait", "p90_wait", "mean_service", "p90_service"].map((k) => el("th", { class: "num", text: T(k) })));
  const body = rows.map((r) => el("tr", { "data-row": r.id },
    el("td", { text: r.name }),
    ...[r.tickets, r.served, r.no_show, r.cancelled, r.transferred, r.expired].map((v) => el("td", { class: "num", text: v })),
    ...[r.wait.mean, r.wait.p50, r.wait.p90, r.service.mean, r.service.p90].map((v) => el("td", { class: "num", text: minutes(v) }))));
  $(id).replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
}

const sampleWords = (r) => T("sample_of").replace("{respondents}", r.respondents)
  .replace("{population}", r.population).replace("{needed}", r.sample_needed);

function gradeWords(r) {
  const grade = r.grade ? `${r.grade.letter} ${currentLang() === "en" ? r.grade.name_en : r.grade.name}` : "–";
  return r.grade && r.population && !r.sample_sufficient ? `${grade} · ${T("sample_small")}` : grade;
}

function ikmSection() {
  const s = index.site_index;
  const box = $("ikm-grade");
  if (!s.respondents) {
    box.replaceChildren(el("p", { class: "hint", text: T("no_respondents") }));
  } else {
    const grade = s.grade;
    box.replaceChildren(
      el("div", { class: `grade grade-${grade.letter}` },
        el("span", { class: "letter", text: grade.letter }),
        el("span", { class: "name", text: currentLang() === "en" ? grade.name_en : grade.name })),
      el("dl", {},
        el("dt", { text: T("score") }), el("dd", { class: "score", text: number(s.score, 2) }),
        el("dt", { text: "IKM (1–4)" }), el("dd", { text: number(s.ikm, 4) }),
        el("dt", { text: T("respondents") }), el("dd", { text: s.respondents })));
  }
  // Respondents against the citizens served, and a plain mark when they are fewer than the regulation's sample.
  if (s.population) {
    box.append(el("p", { class: "sample", id: "ikm-sample", text: sampleWords(s) }));
    if (!s.sample_sufficient) box.append(el("p", { class: "warning", id: "ikm-sample-small", text: T("sample_small") }));
  }
  const elements = index.elements;
  const head = el("tr", {}, el("th", { text: T("col_service") }), el("th", { class: "num", text: T("respondents") }),
    ...elements.map((e, i) => el("th", { class: "num", title: currentLang() === "en" ? e.name_en : e.name, text: `U${i + 1}` })),
    el("th", { class: "num", text: T("score") }), el("th", { text: T("grade") }), el("th", { class: "num", text: T("served_col") }));
  const rows = [...index.by_service].map((r) => el("tr", { "data-row": r.id },
    el("td", { text: r.name }), el("td", { class: "num", text: r.respondents }),
    ...(r.nrr || elements.map(() => null)).map((v) => el("td", { class: "num", text: number(v, 2) })),
    el("td", { class: "num", text: number(r.score, 2) }),
    el("td", { text: gradeWords(r) }), el("td", { class: "num", text: r.population ?? "–" })));
  $("ikm-table").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  $("ikm-table").parentElement.hidden = !rows.length; // its scroll region too: no empty Tab stop
}

async function chart(id, name) {
  const figure = $(id);
  const params = query();
  params.set("lang", currentLang());
  const result = await api(`/api/v1/sites/${site.id}/reports/charts/${name}.svg?${params}`);
  // The SVG is the server's own drawing of escaped labels; it is inserted as markup so that it prints sharply.
  figure.innerHTML = result.ok ? result.body : "";
}

function render() {
  const p = report.period;
  const agency = report.agency ? site.agencies.find((a) => a.id === report.agency) : null;
  const days = p.from === p.to ? dateWords(p.from) : `${dateWords(p.from)} – ${dateWords(p.to)}`;
  $("period").textContent = `${days} · ${agency ? agency.name : T("all_agencies")}`;
  summary();
  groupTable("by-agency", report.by_agency);
  groupTable("by-service", report.by_service);
  groupTable("by-counter", report.by_counter);
  groupTable("by-operator", report.by_operator);
  ikmSection();
  $("generated").textContent = `${T("generated")}: ${whenWords(report.generated_at)} ${zoneLabel(site.timezone)}`;
  $("chart-days").hidden = p.days < 2;
  $("chart-ikm").hidden = !index.site_index.respondents;
  $("chart-waits").classList.toggle("wide", p.days > 1); // one day: arrivals and waits side by side
  return Promise.all([
    chart("chart-arrivals", "arrivals"),
    p.days > 1 ? chart("chart-days", "days") : null,
    chart("chart-waits", "waits"),
    index.site_index.respondents ? chart("chart-ikm", "ikm") : null,
  ]);
}

async function load() {
  $("report").setAttribute("aria-busy", "true");
  const params = query();
  const [r, i] = await Promise.all([
    api(`/api/v1/sites/${site.id}/reports?${params}`),
    api(`/api/v1/sites/${site.id}/ikm?${params}`),
  ]);
  const error = $("filter-error");
  if (!r.ok || !i.ok) {
    error.textContent = errorText(r.ok ? i.body : r.body);
    return;
  }
  error.textContent = "";
  report = r.body;
  index = i.body;
  const form = $("filters");
  form.elements.from.value = report.period.from;
  form.elements.to.value = report.period.to;
  describeDates(form);
  history.replaceState(null, "", `?${query()}`);
  await render();
  $("report").setAttribute("aria-busy", "false");
}

async function downloadCsv(path, fallbackName) {
  const error = await download(`${path}?${query()}`, fallbackName, $("excel").checked);
  if (error) $("filter-error").textContent = error;
}

function start() {
  const form = $("filters");
  const select = form.elements.agency;
  select.append(...site.agencies.map((a) => el("option", { value: a.id, text: a.short_name })));
  const params = new URLSearchParams(location.search);
  for (const key of ["from", "to", "agency"]) if (params.get(key)) form.elements[key].value = params.get(key);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("csv").addEventListener("click", () => downloadCsv(`/api/v1/sites/${site.id}/reports.csv`, "laporan.csv"));
  $("ikm-csv").addEventListener("click", () => downloadCsv(`/api/v1/sites/${site.id}/ikm.csv`, "ikm.csv"));
  $("print").addEventListener("click", () => window.print());
  load();
}

onLangChange(() => {
  applyTexts();
  if (report) render();
});
boot(start);

// Reports: one period of local days, per agency/service/counter/operator, the server's SVG charts, the satisfaction
// index (IKM), CSV downloads and a printable page. Every number is the server's; this page only lays them out.

import { T, api, applyTexts, boot, counted, currentLang, dateWords, describeDates, download, el, errorText, incompleteDate, labelCells, onLangChange, site, whenWords, zoneLabel } from "./common.js";

const FIELDS = ["from", "to", "agency"];

const $ = (id) => document.getElementById(id);
let report = null;
let index = null;

function number(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat(currentLang() === "en" ? "en-GB" : "id-ID", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(value);
}

// Counts the Indonesian way, "13.524" (a month of a busy mall), "13,524" in English.
const count = (value) => number(value, 0);
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
    ...[["citizens", t.citizens], ["tickets", t.tickets], ["served", t.served], ["no_show", t.no_show],
      ["cancelled", t.cancelled], ["transferred", t.transferred], ["expired", t.expired], ["still_open", t.open]]
      .map(([key, value]) => [key, count(value)]),
    ["mean_wait", withUnit(t.wait.mean)], ["p90_wait", withUnit(t.wait.p90)], ["mean_service", withUnit(t.service.mean)],
  ];
  $("summary").replaceChildren(...items.map(([key, value]) => el("div", { class: "figure", "data-figure": key },
    el("span", { class: "k", text: T(key) }), el("strong", { text: value }),
    key === "citizens" && report.agency ? el("small", { class: "split", text: arrivalsSplit(t) }) : null)));
}

// An agency's citizens: those who took its ticket and those transferred in from another agency (counted there
// too), so that adding up the agencies' "direct" figures gives the mall's citizens, each once.
const arrivalsSplit = (r) => T("arrivals_split").replace("{direct}", () => count(r.citizens - r.transferred_in))
  .replace("{moved}", () => count(r.transferred_in));

// A table with no rows says so in a row of its own, under its headings, rather than ending at them.
function noRows(columns, key) {
  return el("tr", { class: "empty" }, el("td", { colSpan: columns, class: "hint", text: T(key) }));
}

// What became of a group's tickets: every one is in exactly one of these, so a row's figures add up to its tickets
// (the summary's and the CSV's columns; without "still open" a day not closed yet did not add up).
const OUTCOMES = ["served", "no_show", "cancelled", "transferred", "expired", "open"];

// Per agency, its citizens too (direct and transferred in: arrivalsSplit); the other groups count ticket legs only.
// On a phone each row is a card (a supervisor looks up their agency, a counter, an operator): its counts in the left
// half, its times in the right ("duration", reports.css), each beside its heading's name; a time's name says its
// unit there ("Rerata tunggu (mnt)"), as the note under the tables is far from a card.
function groupTable(id, rows, arrivals = false) {
  const unit = T("minutes_short");
  const head = el("tr", {},
    el("th", { text: T("name") }),
    arrivals ? el("th", { class: "num", text: T("citizens") }) : null,
    ...["tickets", ...OUTCOMES].map((k) => el("th", { class: "num", text: T(k === "open" ? "still_open" : k) })),
    ...["mean_wait", "p50_wait", "p90_wait", "mean_service", "p90_service"].map((k) => el("th", {
      class: "num", "data-label": `${T(k)} (${unit})`, text: T(k) })));
  const body = rows.map((r) => el("tr", { "data-row": r.id },
    el("td", { class: "lead", text: r.name }),
    arrivals ? el("td", { class: "num citizens", title: arrivalsSplit(r) }, el("span", { text: count(r.citizens) }),
      r.transferred_in ? el("small", { text: ` (${T("arrivals_moved").replace("{moved}", () => count(r.transferred_in))})` }) : null) : null,
    ...[r.tickets, ...OUTCOMES.map((k) => r[k])].map((v) => el("td", { class: "num", text: count(v) })),
    ...[r.wait.mean, r.wait.p50, r.wait.p90, r.service.mean, r.service.p90].map((v) => el("td", { class: "num duration", text: minutes(v) }))));
  $(id).replaceChildren(el("thead", {}, head), el("tbody", {}, ...(body.length ? body : [noRows(head.children.length, "no_tickets")])));
  labelCells($(id));
}

// The tables per counter and per operator count the ticket legs a counter handled: their rows do not add up to the
// report's tickets, and a sentence under each says why, with the numbers (reports.py counts every leg at the counter
// it is at, and under that counter's operator; docs/supervisor.md).
function restNote(id, rows, key) {
  const t = report.totals;
  const sum = (list, field) => list.reduce((n, r) => n + r[field], 0);
  const counterless = t.tickets - sum(report.by_counter, "tickets"); // never called, or back in the queue uncalled
  const unnamed = key === "operator" ? t.tickets - sum(rows, "tickets") - counterless : 0; // nobody signed in there
  const moved = sum(rows, "transferred"); // their next leg counts again where it is called
  const said = [
    counterless ? counted(`${key}_rest`, t.tickets).replace("{rest}", () => count(counterless)).replace("{tickets}", () => count(t.tickets)) : "",
    unnamed > 0 ? T("operator_unnamed").replace("{n}", () => count(unnamed)) : "",
    moved ? T(`${key}_moved`).replace("{moved}", () => count(moved)) : "",
  ].filter(Boolean).join(" ");
  $(id).textContent = said;
  $(id).hidden = !said;
}

const sampleWords = (r) => counted("sample_of", r.population).replace("{respondents}", () => count(r.respondents))
  .replace("{population}", () => count(r.population)).replace("{needed}", () => count(r.sample_needed));

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
        el("dt", { text: T("respondents") }), el("dd", { text: count(s.respondents) })));
  }
  // Respondents against the citizens served, and a plain mark when they are fewer than the regulation's sample.
  if (s.population) {
    box.append(el("p", { class: "sample", id: "ikm-sample", text: sampleWords(s) }));
    if (!s.sample_sufficient) box.append(el("p", { class: "warning", id: "ikm-sample-small", text: T("sample_small") }));
  }
  // Per agency (each agency's own index, for its head) and per service.
  ikmTable("ikm-agency-table", "agency", index.by_agency);
  ikmTable("ikm-table", "col_service", index.by_service);
}

// On a phone each service (or agency) is a card with its figures one under the other ("stack", base.css): a reader
// looks up one service's index and its weakest element, and "U3" alone says nothing where no pointer shows the
// heading's title, so each element's figure is labelled with its name ("U3 Waktu pelayanan").
function ikmTable(id, nameKey, groups) {
  const elements = index.elements;
  const elementName = (e) => (currentLang() === "en" ? e.name_en : e.name);
  const head = el("tr", {}, el("th", { text: T(nameKey) }), el("th", { class: "num", text: T("respondents") }),
    ...elements.map((e, i) => el("th", { class: "num", title: elementName(e), "data-label": `U${i + 1} ${elementName(e)}`, text: `U${i + 1}` })),
    el("th", { class: "num", text: T("score") }), el("th", { text: T("grade") }), el("th", { class: "num", text: T("served_col") }));
  const rows = groups.map((r) => el("tr", { "data-row": r.id },
    el("td", { class: "lead", text: r.name }), el("td", { class: "num", text: count(r.respondents) }),
    ...(r.nrr || elements.map(() => null)).map((v) => el("td", { class: "num", text: number(v, 2) })),
    el("td", { class: "num", text: number(r.score, 2) }),
    el("td", { text: gradeWords(r) }), el("td", { class: "num", text: count(r.population) })));
  $(id).replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  labelCells($(id));
  $(id).parentElement.hidden = !rows.length; // its scroll region too: no empty Tab stop
}

async function chart(id, name) {
  const figure = $(id);
  const params = query();
  params.set("lang", currentLang());
  const result = await api(`/api/v1/sites/${site.id}/reports/charts/${name}.svg?${params}`);
  // The SVG is the server's own drawing of escaped labels; it is inserted as markup so that it prints sharply.
  figure.querySelector(".svg").innerHTML = result.ok ? result.body : "";
  figure.classList.toggle("drawn", result.ok);
}

// --- each chart's figures as a table (folded under the chart) ------------------------------------------------------

function dataTable(id, headings, rows, none = "no_tickets") {
  $(id).replaceChildren(
    el("thead", {}, el("tr", {}, ...headings.map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))),
    el("tbody", {}, ...(rows.length ? rows.map((cells) => el("tr", {}, ...cells.map((c, i) => (i
      ? el("td", { class: "num", text: c })
      : el("th", { scope: "row", text: c }))))) : [noRows(headings.length, none)])));
}

// The same figures as the server's charts (supervision/report_charts.py), from the same report.
function chartData() {
  const counts = report.arrivals.by_hour;
  const busy = counts.map((n, h) => (n ? h : null)).filter((h) => h !== null);
  const first = Math.min(7, ...busy);
  const last = Math.max(16, ...busy);
  const hours = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const mark = currentLang() === "en" ? ":" : "."; // 09.00 in Indonesian, 09:00 in English
  const hour = (h) => `${String(h).padStart(2, "0")}${mark}00–${String(h).padStart(2, "0")}${mark}59`;
  // Over several days an hour's figure is the sum of its days, as the chart's title says.
  const days = report.period.days;
  const perHour = days > 1 ? T("tickets_summed").replace("{days}", () => days) : T("tickets");
  dataTable("data-arrivals", [T("col_hour"), perHour], hours.map((h) => [hour(h), count(counts[h])]));
  dataTable("data-days", [T("col_day"), T("tickets")], report.arrivals.by_day.map((d) => [dateWords(d.day), count(d.arrivals)]));
  dataTable("data-waits", [T("col_service"), T("mean_wait"), T("p90_wait"), T("target_wait")],
    report.by_service.filter((s) => s.wait.count).map((s) => [s.name, withUnit(s.wait.mean), withUnit(s.wait.p90),
      `${s.target_wait_minutes} ${T("minutes_short")}`]), "nobody_called");
  const nrr = index.site_index.nrr || [];
  dataTable("data-ikm", [T("col_element"), "NRR (1–4)"], index.elements.map((e, i) => [
    `U${i + 1} ${currentLang() === "en" ? e.name_en : e.name}`, number(nrr[i], 2)]));
}

// --- printing ------------------------------------------------------------------------------------------------------

// Every printed page says whose report it is, for which period, and which page of how many (the heading is on the
// first page only). Chromium draws the @page margin boxes; their words follow the page's language.
function pageMargins(period) {
  const quoted = (text) => `"${String(text).replace(/[\\"]/g, "\\$&").replace(/\s+/g, " ")}"`;
  let style = $("print-margins");
  if (!style) {
    style = el("style", { id: "print-margins", media: "print" });
    document.head.append(style);
  }
  const box = "font: 8pt system-ui, sans-serif; color: #444;";
  style.textContent = `@page {
  @top-left { content: ${quoted(`${site.name} · ${T("reports_title")}`)}; ${box} }
  @top-right { content: ${quoted(period)}; ${box} }
  @bottom-right { content: ${quoted(T("page_word"))} " " counter(page) " / " counter(pages); ${box} }
}`;
}

function render() {
  const p = report.period;
  const agency = report.agency ? site.agencies.find((a) => a.id === report.agency) : null;
  const days = p.from === p.to ? dateWords(p.from) : `${dateWords(p.from)} – ${dateWords(p.to)}`;
  $("period").textContent = `${days} · ${agency ? agency.name : T("all_agencies")}`;
  pageMargins($("period").textContent);
  summary();
  groupTable("by-agency", report.by_agency, true);
  groupTable("by-service", report.by_service);
  groupTable("by-counter", report.by_counter);
  groupTable("by-operator", report.by_operator);
  restNote("by-counter-rest", report.by_counter, "counter");
  restNote("by-operator-rest", report.by_operator, "operator");
  ikmSection();
  chartData();
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

// A refused period (reversed, too long, a malformed date) or agency: the reason under the fields, each field it is
// about marked invalid (the reason describes them), and the fields back to the period and agency the report below
// still shows, which the reason names: refused dates above another period's figures read as those figures'.
function refused(body) {
  const error = body && body.error ? body.error : {};
  const field = error.details && error.details.field;
  const wrong = String(error.code).startsWith("period_") ? ["from", "to"] : FIELDS.filter((f) => f === field);
  let said = errorText(body);
  const form = $("filters");
  if (report) {
    const p = report.period;
    form.elements.from.value = p.from;
    form.elements.to.value = p.to;
    form.elements.agency.value = report.agency || "";
    describeDates(form);
    const days = p.from === p.to ? dateWords(p.from) : `${dateWords(p.from)} – ${dateWords(p.to)}`;
    said = `${said} ${T("report_still_for").replace("{period}", () => days)}`;
  }
  $("filter-error").textContent = said;
  for (const name of FIELDS) {
    if (wrong.includes(name)) form.elements[name].setAttribute("aria-invalid", "true");
    else form.elements[name].removeAttribute("aria-invalid");
  }
}

async function load() {
  $("report").setAttribute("aria-busy", "true");
  const params = query();
  const [r, i] = await Promise.all([
    api(`/api/v1/sites/${site.id}/reports?${params}`),
    api(`/api/v1/sites/${site.id}/ikm?${params}`),
  ]);
  if (!r.ok || !i.ok) {
    refused(r.ok ? i.body : r.body);
    $("report").setAttribute("aria-busy", "false"); // not dimmed: the figures shown are a whole report still
    return;
  }
  $("filter-error").textContent = "";
  for (const name of FIELDS) $("filters").elements[name].removeAttribute("aria-invalid");
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
    const incomplete = incompleteDate(form);
    if (incomplete) refused(incomplete);
    else load();
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

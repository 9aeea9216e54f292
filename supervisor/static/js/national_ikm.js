// The ministry's IKM report: the satisfaction index of a period per mall, per province or per kind of agency, over
// the malls the signed-in account may watch (GET /api/v1/national/ikm), with the nine elements, the grade and
// whether the respondents reach the regulation's sample; its CSV; agencies whose kind no site file gives.
import { T, api, applyTexts, boot, counted, currentLang, describeDates, download, el, errorText, fatal, incompleteDate, onLangChange, periodWords, readerZone, redraw, whenWordsIn } from "./common.js";
import { addressFilters, addressRefusal, fillProvinces, keepInAddress, provinceUnwatched, provinceUnwatchedText, regionParams } from "./region.js";

const $ = (id) => document.getElementById(id);
const FIELDS = ["from", "to", "by", "province", "q"];
const ADDRESS = ["by", "province", "q", "from", "to", "sort", "order"]; // what the address keeps, the API's names
const DEFAULT_SORT = { sort: "ikm", order: "desc" };
let me = null;
let data = null;
let sort = { ...DEFAULT_SORT };
let fromAddress = false; // the filters asked were read from the address: a bad one is dropped, not kept refused
let addressDates = {}; // the address's dates as written, while they are asked (readAddress)
let addressSaid = null; // what the page said of a filter it dropped from the address, said over the view without it

function number(value, digits) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat(currentLang() === "en" ? "en-GB" : "id-ID", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(value);
}

function query() {
  const form = $("filters");
  const params = new URLSearchParams({ ...sort, tz: readerZone() });
  // The default period the fields were filled with stays the default (this month to today, wherever the reader
  // is): a sort or a grouping chosen does not pin its days into the request and the address.
  const unchanged = data && data.period.default && form.elements.from.value === data.period.from
    && form.elements.to.value === data.period.to;
  for (const key of ["from", "to", "by"]) {
    // A date of the address that the field cannot hold (2026-13-45) is asked as written: the server says why not.
    const value = (fromAddress && addressDates[key]) || form.elements[key].value;
    if (value && !(unchanged && key !== "by")) params.set(key, value);
  }
  return regionParams(params, { province: form.elements.province.value, q: form.elements.q.value.trim() });
}

function sortButton(key, label, numeric) {
  const sorted = data.sort === key;
  const th = el("th", { scope: "col", class: numeric ? "num" : "", "data-column": key,
    "aria-sort": sorted ? (data.order === "asc" ? "ascending" : "descending") : "none" });
  th.append(el("button", { type: "button", class: "sort", onclick: () => sortBy(key) },
    el("span", { text: label }), el("span", { class: "arrow", "aria-hidden": "true" })));
  return th;
}

function head() {
  const elements = data.elements.map((e, i) => el("th", { scope: "col", class: "num",
    title: currentLang() === "en" ? e.name_en : e.name }, el("abbr", { title: currentLang() === "en" ? e.name_en : e.name, text: `U${i + 1}` })));
  return el("tr", {},
    sortButton("name", T(`col_group_${data.by}`), false),
    data.by === "site" ? null : el("th", { scope: "col", class: "num", text: T("col_malls") }),
    sortButton("respondents", T("respondents"), true),
    ...elements,
    sortButton("ikm", T("score"), true),
    el("th", { scope: "col", text: T("grade") }),
    el("th", { scope: "col", class: "num", text: T("served_col") }),
    el("th", { scope: "col", class: "num", text: T("sample_min") }));
}

function gradeCell(r, group) {
  if (!r.grade) return el("td", { text: "–" });
  const name = currentLang() === "en" ? r.grade.name_en : r.grade.name;
  const cell = el("td", { class: "grade-cell" },
    el("span", { class: `grade grade-${r.grade.letter}`, "aria-hidden": "true", text: r.grade.letter }),
    el("span", { text: ` ${name}` }));
  // An index from fewer respondents than the citizens served call for is marked, not ranked like any other. A
  // group's sample is its malls' own: how many of them reach theirs ("2 dari 3 mal memenuhi sampelnya").
  if (group && r.sample_sites) {
    const words = counted("sample_sites", r.sample_sites).replace("{reached}", () => number(r.sample_sites_sufficient, 0))
      .replace("{sites}", () => number(r.sample_sites, 0));
    cell.append(el("small", { class: r.sample_sufficient ? "sites" : "warning", text: words }));
  } else if (r.population && !r.sample_sufficient) {
    cell.append(el("small", { class: "warning", text: T("sample_small") }));
  }
  return cell;
}

// A mall's name opens its own reports; its region under it ("Kabupaten Tegal · Jawa Tengah").
function rowName(r) {
  if (data.by !== "site") return [el("span", { text: currentLang() === "en" ? r.name_en : r.name })];
  const where = [r.regency, currentLang() === "en" ? r.province_en : r.province].filter(Boolean).join(" · ");
  return [el("a", { href: `/supervisor/${encodeURIComponent(r.id)}/reports`, text: r.name }),
    where ? el("small", { class: "where", text: where }) : null];
}

function row(r, total) {
  const nrr = r.nrr || data.elements.map(() => null);
  const name = total ? [el("span", { text: `${T("total_all")} (${r.sites})` })] : rowName(r);
  return el("tr", { "data-row": r.id, class: total ? "totals" : "" },
    el("th", { scope: "row", class: "mall" }, ...name),
    data.by === "site" ? null : el("td", { class: "num", text: total ? "" : number(r.sites, 0) }),
    el("td", { class: "num", text: number(r.respondents, 0) }),
    ...nrr.map((v) => el("td", { class: "num", text: number(v, 2) })),
    el("td", { class: "num score", text: number(r.score, 2) }),
    gradeCell(r, total || data.by !== "site"),
    el("td", { class: "num", title: r.population ? sampleWords(r) : "", text: number(r.population, 0) }),
    el("td", { class: "num", text: r.population ? number(r.sample_needed, 0) : "–" }));
}

function sampleWords(r) {
  return counted("sample_of", r.population).replace("{respondents}", () => r.respondents).replace("{population}", () => r.population)
    .replace("{needed}", () => r.sample_needed);
}

function render() {
  if (!data) return;
  const regional = me && me.role === "regional" && Array.isArray(me.sites);
  $("title-text").textContent = T(regional ? "regional_ikm_title" : "national_ikm_title");
  $("period-words").textContent = periodWords(data.period);
  // In place, keyed: a sort button pressed from the keyboard keeps the focus (common.js, redraw).
  redraw($("head"), [data.by], head, () => "head");
  redraw($("rows"), data.rows, (r) => row(r, false), (tr) => tr.dataset.row);
  redraw($("total"), [data.total], (r) => row(r, true), () => "total");
  $("empty").hidden = data.total.respondents > 0;
  const names = data.elements.map((e, i) => `U${i + 1} ${currentLang() === "en" ? e.name_en : e.name}`);
  $("elements-legend").textContent = `${T("elements_legend")}: ${names.join(" · ")}`;
  $("generated").textContent = `${T("generated")}: ${whenWordsIn(data.generated_at, data.period.timezone)}`;
  fillProvinces($("filters").elements.province, data.provinces, data.province);
  const unclassified = data.by === "kind" ? data.unclassified : [];
  $("unclassified").hidden = !unclassified.length;
  $("unclassified-rows").replaceChildren(...unclassified.map((u) => el("tr", {},
    el("td", { text: u.site_name }), el("td", { text: u.agency_name }), el("td", { class: "num", text: number(u.respondents, 0) }))));
}

// Said beside the fields, which go back to the period of the figures shown (they stay, not faded).
function refused(body) {
  const form = $("filters");
  $("error").textContent = errorText(body);
  const field = body?.error?.details?.field;
  // A reversed or too long period is about both its dates (as on the report page), not only "Sampai".
  const wrong = String(body?.error?.code).startsWith("period_") ? ["from", "to"] : [field];
  for (const input of form.querySelectorAll("input, select")) {
    if (wrong.includes(input.name)) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  if (data) {
    form.elements.from.value = data.period.from;
    form.elements.to.value = data.period.to;
    describeDates(form);
  }
}

async function load(how = "replace") {
  $("report").setAttribute("aria-busy", "true");
  const result = await api(`/api/v1/national/ikm?${query()}`);
  if (result.status === 403) {
    fatal(errorText(result.body));
    return;
  }
  const form = $("filters");
  const refusal = result.status >= 400 && result.status < 500 && result.status !== 401 && result.status !== 429;
  if (refusal && fromAddress) { // a value of the address (not the server down, nor the session over)
    const { wrong, said } = addressRefusal(result.body, errorText(result.body));
    dropFromAddress(wrong, said);
    return;
  }
  if (!result.ok) {
    refused(result.body);
    $("report").setAttribute("aria-busy", "false");
    return;
  }
  if (fromAddress && provinceUnwatched(result.body.province, result.body.provinces)) {
    dropFromAddress(["province"], provinceUnwatchedText(result.body.province));
    return;
  }
  fromAddress = false;
  $("error").textContent = addressSaid || "";
  addressSaid = null;
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  data = result.body;
  sort = { sort: data.sort, order: data.order };
  form.elements.from.value = data.period.from;
  form.elements.to.value = data.period.to;
  describeDates(form);
  keepInAddress(ADDRESS, Object.fromEntries(query()), how);
  render();
  $("report").setAttribute("aria-busy", "false");
}

// A filter the address gave that cannot be used (an unknown province, a reversed or malformed period, a province
// of none of the reader's malls): dropped from the fields, said, and the report asked again without it.
function dropFromAddress(fields, said) {
  const form = $("filters");
  const wrong = fields.length ? fields : ADDRESS;
  for (const key of wrong) {
    if (form.elements[key]) form.elements[key].value = key === "by" ? "site" : "";
    delete addressDates[key];
  }
  if (wrong.includes("sort") || wrong.includes("order")) sort = { ...DEFAULT_SORT };
  if (!fields.length) fromAddress = false; // all dropped: a refusal now is the page's own, said as such
  addressSaid = said;
  load();
}

function sortBy(key) {
  sort = data && data.sort === key
    ? { sort: key, order: data.order === "asc" ? "desc" : "asc" }
    : { sort: key, order: key === "name" ? "asc" : "desc" };
  load(); // kept in the address, but no step of Back: a sort filters nothing
}

// The report an address asks for (a link, a reload, Back or Forward), into the fields. A province not listed yet
// gets an option of its own until the list comes.
function readAddress() {
  const form = $("filters");
  const given = addressFilters(ADDRESS);
  sort = given.sort ? { sort: given.sort, order: given.order || "" } : { ...DEFAULT_SORT };
  const select = form.elements.province;
  if (given.province && ![...select.options].some((o) => o.value === given.province)) {
    select.append(el("option", { value: given.province, text: given.province }));
    delete select.dataset.filled;
  }
  for (const key of FIELDS) form.elements[key].value = given[key] || (key === "by" ? "site" : "");
  addressDates = { from: given.from, to: given.to };
  describeDates(form);
  fromAddress = true;
}

function start(who) {
  me = who;
  const form = $("filters");
  readAddress();
  // A committed change is a step of the history, which Back returns from.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const incomplete = incompleteDate(form, true);
    if (incomplete) refused(incomplete);
    else load("push");
  });
  form.elements.by.addEventListener("change", () => load("push"));
  form.elements.province.addEventListener("change", () => load("push"));
  window.addEventListener("popstate", () => {
    readAddress();
    load();
  });
  $("csv").addEventListener("click", async () => {
    const error = await download(`/api/v1/national/ikm.csv?${query()}`, "ikm-nasional.csv", $("excel").checked);
    if (error) $("error").textContent = error;
  });
  $("print").addEventListener("click", () => window.print());
  load();
}

onLangChange(() => {
  applyTexts();
  render();
});
boot(start);

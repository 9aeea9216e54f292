// The national view (or a region's): every mall the signed-in account may watch, one row each, from
// GET /api/v1/national every 5 seconds. The server sorts (click a column heading), the footer holds the totals,
// and each mall's name opens that mall's own dashboard. The rows stay from one refresh to the next and only the
// cells that changed are written (keyed_rows.js): 300 malls every 5 seconds.
import { T, api, boot, counted, currentLang, describeDates, download, el, errorText, fatal, incompleteDate, minutesText, onLangChange, periodWords, readerZone, zoneLabel } from "./common.js";
import { KeyedRows, patchCells } from "./keyed_rows.js";
import { addressFilters, addressRefusal, fillProvinces, keepInAddress, provinceUnwatched, provinceUnwatchedText, regionParams } from "./region.js";

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);
// What the address keeps (?province=33&q=tegal&from=2026-12-01&to=2026-12-07&sort=name&order=asc), the API's names.
const ADDRESS = ["province", "q", "from", "to", "sort", "order"];
const DEFAULTS = { sort: "waiting", order: "desc", from: "", to: "", province: "", q: "" };

let me = null;
let rows = null; // the table's rows, kept by mall (keyed_rows.js)
let data = null;
let wanted = { ...DEFAULTS }; // what the next request asks for
let shown = { ...wanted }; // what the figures on screen answer
let busy = false;
let again = false;
let timer = null;
let writeAs = "replace"; // how the next view shown goes into the address's history (region.js, keepInAddress)
let fromAddress = false; // the filters asked were read from the address (a link, a reload, Back): a bad one is dropped
let keepSaid = false; // what the page said of a dropped filter stays over the view shown without it
let addressSaid = false; // the message under the fields is about the address, and goes with the next change shown

// --- numbers the Indonesian way (1.234; 87,50) or the English way ----------------------------------------------

function locale() {
  return currentLang() === "id" ? "id-ID" : "en-GB";
}

// Made once per language and kind: a formatter costs far more to make than to use, and 300 rows use thousands.
const formats = new Map();

function formatter(key, make) {
  if (!formats.has(key)) formats.set(key, make());
  return formats.get(key);
}

function whole(n) {
  if (n === null || n === undefined) return "–";
  return formatter(`whole ${locale()}`, () => new Intl.NumberFormat(locale())).format(n);
}

function decimal(n, digits) {
  return formatter(`decimal ${digits} ${locale()}`, () => new Intl.NumberFormat(locale(),
    { minimumFractionDigits: digits, maximumFractionDigits: digits })).format(n);
}

// A cell or a part of one, described for keyed_rows.js (written only where it changed).
const cellOf = (tag, attrs, text) => ({ tag, attrs, text });
const partsOf = (tag, attrs, parts) => ({ tag, attrs, parts });

function ofTotal(part, total) {
  return [cellOf("span", { class: "part" }, whole(part)), cellOf("small", {}, ` / ${whole(total)}`)];
}

function quotaCell(quotaUsed, issued, total) {
  if (quotaUsed === null || quotaUsed === undefined) return [cellOf("small", {}, T("no_quota"))];
  return [
    cellOf("span", { class: "part" }, `${decimal(quotaUsed, 1)}%`),
    cellOf("small", {}, ` ${whole(issued)} / ${whole(total)}`),
  ];
}

// Services whose walk-in quota is spent today (red when any); "–" for a mall without quotas.
function spentCell(spent) {
  return cellOf("td", { class: `num spent${spent ? " down" : ""}` }, whole(spent));
}

function ikmCell(score, grade, respondents) {
  if (score === null || score === undefined) return [cellOf("span", {}, "–")];
  const name = currentLang() === "id" ? grade.name : grade.name_en;
  return [
    cellOf("span", { class: "part" }, decimal(score, 2)),
    cellOf("span", { class: `grade grade-${grade.letter}`, title: name, "aria-label": `${T("grade")} ${grade.letter}: ${name}` },
      grade.letter),
    cellOf("small", { class: "respondents" }, ` ${whole(respondents)} ${respondentWord(respondents)}`),
  ];
}

function respondentWord(n) {
  const word = T("respondents").toLowerCase(); // Indonesian has no plural here; English drops the -s for one
  return currentLang() === "en" && n === 1 ? word.replace(/s$/, "") : word;
}

// The time of the figures (the server's clock) in the zone the period is of: the reader's.
function updatedText(iso, zone) {
  const text = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  }).format(new Date(iso));
  return `${currentLang() === "id" ? text.replace(/:/g, ".") : text} ${zoneLabel(zone)}`;
}

// A mall on its own server, mirrored here from the log it sends up. The server says how its copy keeps up
// (r.uplink.state): "connected" with the time it last did, or red since when its data is held back and why.
function mirrorTime(r, iso) {
  if (!iso) return "–";
  const at = Date.parse(iso);
  const parts = formatter(`mirror ${r.timezone}`, () => new Intl.DateTimeFormat("en-GB", {
    timeZone: r.timezone, day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
  })).formatToParts(new Date(at));
  const part = (type) => parts.find((p) => p.type === type).value;
  const sep = currentLang() === "id" ? "." : ":";
  const when = `${part("hour")}${sep}${part("minute")} ${zoneLabel(r.timezone)}`;
  return Date.parse(data.generated_at) - at > 20 * 3600 * 1000 ? `${part("day")}/${part("month")} ${when}` : when;
}

function uplinkText(r) {
  const u = r.uplink;
  switch (u.state) {
    case "synced": return `${T("mirror_heard")} ${mirrorTime(r, u.synced_at)}`;
    case "never": return T("mirror_never");
    case "stopped": return `${T("mirror_stopped")} ${mirrorTime(r, u.stopped_at)}`; // said by the box as it stopped
    case "revoked":
      if (!u.heard_at) return T("mirror_revoked");
      return `${T("mirror_stale")} ${mirrorTime(r, u.heard_at)} · ${T("mirror_revoked")}`;
    case "silent": return `${T("mirror_stale")} ${mirrorTime(r, u.heard_at || u.synced_at)}`;
    default: { // stuck, refused
      const held = u.synced_at ? `${T("mirror_held")} ${mirrorTime(r, u.synced_at)}` : T("mirror_held_never");
      if (u.state !== "refused" || !u.refused) return held;
      return `${held} · ${T("mirror_refused")}: ${currentLang() === "id" ? u.refused.reason : u.refused.reason_en}`;
    }
  }
}

function uplinkTag(r) {
  const stale = !r.uplink || r.uplink.state !== "synced";
  const stopped = r.uplink?.state === "stopped";
  return cellOf("span", { class: `tag mirror${stale ? " stale" : ""}${stopped ? " stopped" : ""}`,
    title: T(stopped ? "mirror_stopped_title" : "mirror_title") },
    r.uplink ? uplinkText(r) : T("mirror_never"));
}

// --- the table --------------------------------------------------------------------------------------------------

// A mall's row, as the cells keyed_rows.js writes: the same in every refresh where nothing changed.
function siteCells(r) {
  const name = [cellOf("a", { href: `/supervisor/${encodeURIComponent(r.site)}` }, r.name)];
  if (r.day_closed) name.push(cellOf("span", { class: "tag" }, T("day_closed_short")));
  if (r.mirrored) name.push(uplinkTag(r));
  // A text of the mall's naming a citizen, withheld here: the alert of its dashboard, never the text.
  if (r.withheld) {
    name.push(cellOf("span", { class: "tag stale withheld",
      title: currentLang() === "id" ? r.withheld.message : r.withheld.message_en }, T("withheld_tag")));
  }
  // Its "Tolak tiket di luar jam buka" left off (a try-out): its kiosks issue at night and on holidays.
  if (r.hours_not_enforced) {
    name.push(cellOf("span", { class: "tag stale hours",
      title: currentLang() === "id" ? r.hours_not_enforced.message : r.hours_not_enforced.message_en }, T("hours_tag")));
  }
  const province = currentLang() === "en" ? r.province_name_en : r.province_name;
  const where = [r.regency, province].filter(Boolean).join(" · "); // "Kabupaten Tegal · Jawa Tengah"
  if (where) name.push(cellOf("small", { class: "where" }, where));
  // A mall on its own server: its screens as that server last reported them, or "not known" when it has not lately.
  const screens = r.mirrored && r.screens_down == null
    ? partsOf("td", { class: "num screens", title: T("mirror_screens_title") }, [cellOf("small", {}, T("mirror_screens"))])
    : partsOf("td", { class: `num screens${r.screens_down ? " down" : ""}`,
      title: r.mirrored ? T("mirror_screens_said") : null }, ofTotal(r.screens_down, r.screens_total));
  return [
    partsOf("th", { scope: "row", class: "mall" }, name),
    cellOf("td", { class: "num waiting" }, whole(r.waiting)),
    cellOf("td", { class: "num longest" }, minutesText(r.longest_wait)),
    cellOf("td", { class: `num past${r.past_closing ? " down" : ""}` }, whole(r.past_closing)),
    cellOf("td", { class: "num served" }, whole(r.served_today)),
    partsOf("td", { class: "num counters" }, ofTotal(r.counters_open, r.counters_total)),
    screens,
    spentCell(r.quota_spent),
    partsOf("td", { class: "num quota" }, quotaCell(r.quota_used, r.quota_issued, r.quota_total)),
    partsOf("td", { class: "num ikm" }, ikmCell(r.ikm, r.ikm_grade, r.ikm_respondents)),
  ];
}

// The screens total counts the malls whose screens are known: a mirrored mall whose box has not said them lately
// adds nothing, and the cell says of how many malls it is, so that "not known" is not read as "all on".
function screensTotal(t) {
  const parts = ofTotal(t.screens_down, t.screens_total);
  const unknown = t.screens_known != null && t.screens_known < t.sites;
  if (unknown) {
    parts.push(cellOf("small", { class: "known" },
      ` ${T("screens_known").replace("{n}", () => whole(t.screens_known)).replace("{malls}", () => counted("malls", t.screens_known))}`));
  }
  return partsOf("td", { class: `num screens${t.screens_down ? " down" : ""}`,
    title: unknown ? T("screens_known_title") : null }, parts);
}

function totalsCells(t) {
  const name = [cellOf("span", { class: "label" }, `${T("total_row")} (${whole(t.sites)} ${counted("malls", t.sites)})`)];
  // Malls on their own servers whose data is held back or cut off: how many, in red.
  if (t.mirrored_behind) {
    name.push(cellOf("span", { class: "tag mirror stale behind" }, `${whole(t.mirrored_behind)} ${T("mirror_behind")}`));
  }
  if (t.withheld) name.push(cellOf("span", { class: "tag stale withheld" }, `${whole(t.withheld)} ${T("withheld_count")}`));
  if (t.hours_not_enforced) {
    name.push(cellOf("span", { class: "tag stale hours" }, `${whole(t.hours_not_enforced)} ${T("hours_count")}`));
  }
  if (t.left_out) name.push(cellOf("span", { class: "tag stale left-out" }, `${whole(t.left_out)} ${T("left_out_count")}`));
  return [
    partsOf("th", { scope: "row", class: "mall" }, name),
    cellOf("td", { class: "num waiting" }, whole(t.waiting)),
    cellOf("td", { class: "num longest" }, minutesText(t.longest_wait)),
    cellOf("td", { class: `num past${t.past_closing ? " down" : ""}` }, whole(t.past_closing)),
    cellOf("td", { class: "num served" }, whole(t.served_today)),
    partsOf("td", { class: "num counters" }, ofTotal(t.counters_open, t.counters_total)),
    screensTotal(t),
    spentCell(t.quota_spent),
    partsOf("td", { class: "num quota" }, quotaCell(t.quota_used, t.quota_issued, t.quota_total)),
    partsOf("td", { class: "num ikm" }, ikmCell(t.ikm, t.ikm_grade, t.ikm_respondents)),
  ];
}

// Malls this server was started with but left out (their site file or their day refused them): an alert above
// the table, whatever the filter, with why and what to do, and the server's log line for the technician.
function leftOutItem(m) {
  return el("li", { "data-site": m.site },
    el("strong", { text: `${m.name} (${m.site})` }),
    el("p", { text: T(m.reason === "day" ? "left_out_day" : "left_out_site_file") }),
    el("details", {}, el("summary", { text: T("left_out_log") }), el("code", { text: m.log })));
}

function renderLeftOut() {
  const list = data.left_out || [];
  $("left-out").hidden = list.length === 0;
  const key = JSON.stringify([currentLang(), list]);
  if ($("left-out-list").dataset.key === key) return; // unchanged: a reader's place and an open <details> stay
  $("left-out-list").dataset.key = key;
  $("left-out-list").replaceChildren(...list.map(leftOutItem));
}

function render() {
  if (!data) return;
  renderLeftOut();
  rows.show(data.sites, (r) => r.site, siteCells); // in place: focus and a reader's place stay
  fillProvinces($("period").elements.province, data.provinces, shown.province);
  if (!$("totals").rows.length) $("totals").append(el("tr", { class: "totals" }));
  patchCells($("totals").rows[0], totalsCells(data.totals));
  $("empty").hidden = data.sites.length > 0;
  $("empty").dataset.t = shown.province || shown.q ? "no_malls_filtered" : "no_malls"; // which, said again with the language
  say($("empty"), T($("empty").dataset.t));
  say($("updated"), updatedText(data.generated_at, data.period.timezone));
  say($("ikm-period-words"), T("ikm_period_words").replace("{period}", () => periodWords(data.period)));
  for (const th of document.querySelectorAll("th[data-column]")) {
    const sorted = th.dataset.column === data.sort;
    const said = sorted ? (data.order === "asc" ? "ascending" : "descending") : "none";
    if (th.getAttribute("aria-sort") !== said) th.setAttribute("aria-sort", said);
  }
}

// Text written only when it changed: the same text again is a new node, and the page laid out again, every 5 s.
function say(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setConnection(state) {
  const pill = $("conn");
  pill.dataset.state = state;
  pill.textContent = T(state === "connected" ? "connected" : state === "refused" ? "refused" : "offline");
}

// --- reading the API --------------------------------------------------------------------------------------------

async function refresh() {
  if (busy) {
    again = true; // a click while a poll is on its way: ask again as soon as it is back
    return;
  }
  busy = true;
  const asked = { ...wanted };
  const how = writeAs;
  writeAs = "replace";
  const result = await api(`/api/v1/national?${query(asked)}`);
  busy = false;
  if (result.ok && fromAddress && provinceUnwatched(asked.province, result.body.provinces)) {
    dropFromAddress(["province"], provinceUnwatchedText(asked.province));
  } else if (result.ok) {
    const changed = asked.from !== shown.from || asked.to !== shown.to;
    const moved = ADDRESS.some((key) => asked[key] !== shown[key]);
    data = result.body;
    shown = asked;
    fromAddress = false;
    if (keepSaid) {
      keepSaid = false;
    } else if (changed || (addressSaid && moved)) { // a period refused stays said until another one is shown, not 5 s
      $("error").textContent = "";
      addressSaid = false;
      for (const input of $("period").querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    }
    keepInAddress(ADDRESS, addressOf(asked), how);
    setConnection("connected");
    render();
    fillPeriod(changed);
  } else if (result.status === 403) {
    clearInterval(timer);
    setConnection("refused");
    fatal(errorText(result.body));
    return;
  } else if (result.status >= 400 && result.status < 500 && result.status !== 401 && result.status !== 429) {
    refused(result.body);
  } else if (result.status !== 401) {
    setConnection("offline"); // the figures on screen stay, and their time says how old they are
  }
  if (again) {
    again = false;
    refresh();
  }
}

// Sort and order go into the address only when they are not the page's own (most waiting first).
function addressOf(v) {
  const sorted = v.sort !== DEFAULTS.sort || v.order !== DEFAULTS.order;
  return { ...v, sort: sorted ? v.sort : "", order: sorted ? v.order : "" };
}

// A filter the address gave that cannot be used (an unknown province, a reversed or malformed period, a province
// of none of the reader's malls): said, dropped from the request, the fields and the address, and the view asked
// again without it, so that a link typed wrong still opens a page, and says what it left out.
function dropFromAddress(fields, said) {
  const form = $("period");
  const wrong = fields.length ? fields : ADDRESS;
  for (const key of wrong.includes("sort") ? [...wrong, "order"] : wrong) {
    if (!(key in DEFAULTS)) continue;
    wanted[key] = DEFAULTS[key];
    if (form.elements[key]) form.elements[key].value = "";
  }
  if (!fields.length) fromAddress = false; // all dropped: a refusal now is the page's own, said as such
  $("error").textContent = said;
  keepSaid = true;
  addressSaid = true;
  writeAs = "replace";
  again = true;
}

// A period refused (by the server, or a date typed in part): say why, keep the last figures, mark the field, and
// the fields say the period those figures are of.
function refused(body) {
  if (fromAddress) {
    const { wrong, said } = addressRefusal(body, errorText(body));
    dropFromAddress(wrong, said);
    return;
  }
  addressSaid = false;
  $("error").textContent = errorText(body);
  const field = body?.error?.details?.field;
  // A reversed or too long period is about both its dates (as on the report page), not only "Sampai".
  const wrong = String(body?.error?.code).startsWith("period_") ? ["from", "to"] : [field];
  for (const input of $("period").querySelectorAll("input, select")) {
    if (wrong.includes(input.name)) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  wanted = { ...shown };
  fillPeriod(true);
}

function query(asked) {
  const params = new URLSearchParams({ sort: asked.sort, order: asked.order, tz: readerZone() });
  for (const key of ["from", "to"]) if (asked[key]) params.set(key, asked[key]);
  return regionParams(params, asked);
}

// The default period the fields were last filled with: a page left open past midnight (or into a new month) moves
// its fields on with the default, unless the reader has typed a period of their own meanwhile.
let filledDefault = null;

function fillPeriod(force) {
  const form = $("period");
  if (!data) return;
  const untouched = filledDefault && ["from", "to"].every((key) => form.elements[key].value === filledDefault[key]);
  for (const key of ["from", "to"]) {
    const input = form.elements[key];
    const moved = untouched && data.period.default && document.activeElement !== input;
    if (force || moved || (!input.value && document.activeElement !== input)) input.value = data.period[key];
    describeDates(input.parentElement);
  }
  const filled = ["from", "to"].every((key) => form.elements[key].value === data.period[key]);
  filledDefault = data.period.default && filled ? { from: data.period.from, to: data.period.to } : null;
}

function sortBy(key) {
  if (wanted.sort === key) wanted.order = wanted.order === "asc" ? "desc" : "asc";
  else wanted = { ...wanted, sort: key, order: key === "name" || key === "province" ? "asc" : "desc" };
  writeAs = "replace"; // kept in the address for a reload or a link, but no step of Back: a sort filters nothing
  refresh();
}

// The filters an address says (a link, a reload, Back or Forward), into the request and the fields. A province not
// listed yet gets an option of its own until the list comes (else the select would show "Semua provinsi").
function readAddress() {
  const given = addressFilters(ADDRESS);
  const sort = given.sort || DEFAULTS.sort;
  const order = given.order || (given.sort === "name" || given.sort === "province" ? "asc" : DEFAULTS.order);
  wanted = { ...DEFAULTS, ...given, sort, order };
  fromAddress = true;
  const form = $("period");
  for (const key of ["from", "to", "q"]) form.elements[key].value = wanted[key];
  const select = form.elements.province;
  if (wanted.province && ![...select.options].some((o) => o.value === wanted.province)) {
    select.append(el("option", { value: wanted.province, text: wanted.province }));
    delete select.dataset.filled;
  }
  select.value = wanted.province;
  describeDates(form);
}

function title() {
  const regional = me && me.role === "regional" && Array.isArray(me.sites);
  const key = regional ? "regional_title" : "national_title";
  document.querySelector(".bar .page").dataset.t = key;
  document.querySelector(".bar .page").textContent = T(key);
  document.title = `${T(key)} · ${T("app")}`;
}

function start(who) {
  me = who;
  rows = new KeyedRows($("rows"), "site");
  title();
  for (const button of document.querySelectorAll("button[data-sort]")) {
    button.addEventListener("click", () => sortBy(button.dataset.sort));
  }
  const form = $("period");
  let typing = null;
  let typed = false; // a search being typed has its entry in the history already: the next letters replace it
  const ask = (how) => {
    // The default period the fields were filled with stays the default (this month to today where the reader is).
    const unchanged = data && data.period.default && form.elements.from.value === data.period.from
      && form.elements.to.value === data.period.to;
    wanted = { ...wanted, from: unchanged ? "" : form.elements.from.value, to: unchanged ? "" : form.elements.to.value,
      province: form.elements.province.value, q: form.elements.q.value.trim() };
    writeAs = how;
    refresh();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    typed = false;
    const incomplete = incompleteDate(form, true);
    if (incomplete) refused(incomplete);
    else ask("push");
  });
  // A province chosen, or a name typed (once the typing pauses), shows its malls without pressing "Tampilkan".
  form.elements.province.addEventListener("change", () => {
    typed = false;
    ask("push");
  });
  form.elements.q.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      ask(typed ? "replace" : "push");
      typed = true;
    }, 300);
  });
  form.elements.q.addEventListener("change", () => (typed = false)); // left, or Enter: the next typing is a new step
  // Back and Forward: the view of that address, which is in the history already (nothing is written).
  window.addEventListener("popstate", () => {
    clearTimeout(typing);
    typed = false;
    readAddress();
    $("error").textContent = "";
    addressSaid = false;
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    refresh();
  });
  $("csv").addEventListener("click", async () => {
    const error = await download(`/api/v1/national.csv?${query(shown)}`, "pantauan-nasional.csv", $("excel").checked);
    if (error) $("error").textContent = error;
  });
  readAddress();
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

onLangChange(() => {
  title();
  render();
  if ($("conn").dataset.state !== "connecting") setConnection($("conn").dataset.state);
});
boot(start);

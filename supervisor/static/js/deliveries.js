// Messages out (docs/notifications.md): per endpoint (the WhatsApp/SMS gateway, each webhook) how many were sent,
// are waiting or being retried, and have failed for good; the failed ones can be sent again once the receiver is
// mended. Read every 10 seconds.

import {
  T, api, applyTexts, boot, counted, currentLang, el, errorText, labelCells, localDay, onLangChange, redraw, shortTime, site, toast, whenWords,
} from "./common.js";

const $ = (id) => document.getElementById(id);
let last = { endpoints: [], dead: [], today: null };

// A time of the server's today as "09.12"; of another day with its date ("Senin, 23 November 2026 pukul 09.12"):
// "Terakhir terkirim 09.12" a week ago read as this morning.
function when(iso) {
  if (!iso) return "–";
  return localDay(Date.parse(iso)) === last.today ? shortTime(iso) : whenWords(iso);
}

// A webhook by the description its admin gave it ("Webhook SIAK Dukcapil", as the dashboard's alert names it), else
// its id.
function endpointName(row) {
  return row.kind === "gateway" ? T("deliveries_gateway") : `Webhook ${row.description || row.endpoint}`;
}

// The breaker as the server process that delivers knows it (every process answers the same). Half-open is still
// paused: one message probes the endpoint, the rest wait for it.
function stateOf(row) {
  if (row.breaker === "open" || row.breaker === "half_open") return ["bad", T("deliveries_paused")];
  if (row.failing) return ["bad", T("deliveries_failing")];
  if (row.retrying) return ["warn", T("deliveries_retrying")];
  return ["ok", T("deliveries_ok")];
}

// A last error in the page's language (its kind said by the server: error_words), and under it, smaller, the
// technical text for whoever mends the receiver. A row of an earlier release has the text alone ("Galat teknis: ...").
function errorCell(row, prefix) {
  if (!row.last_error) return [];
  const words = row.error_words ? (row.error_words[currentLang()] || row.error_words.id) : row.last_error;
  const said = el("span", { class: "said", text: prefix ? `${prefix} · ${words}` : words });
  return [said, row.error_kind ? el("span", { class: "detail", text: row.last_error }) : null];
}

async function resend(body) {
  const result = await api(`/api/v1/sites/${site.id}/deliveries/resend`, { method: "POST", body });
  if (!result.ok) return toast(errorText(result.body), "danger");
  toast(counted("deliveries_resent", result.body.resent).replace("{n}", () => result.body.resent), "info");
  load();
}

function endpointRow(row) {
  const [kind, said] = stateOf(row);
  const button = row.dead
    ? el("button", { type: "button", "data-resend": row.endpoint, text: T("deliveries_resend_all"),
      "aria-label": `${T("deliveries_resend_all")}: ${endpointName(row)}`, onclick: () => resend({ endpoint: row.endpoint }) })
    : null;
  return el("tr", { "data-endpoint": row.endpoint },
    el("td", { class: "lead" }, el("strong", { text: endpointName(row) }), el("br"), el("span", { class: "hint", text: row.url || "" })),
    el("td", {}, el("span", { class: `badge ${kind}`, text: said })),
    el("td", { class: "num", text: row.sent }), el("td", { class: "num", text: row.pending }),
    el("td", { class: "num", text: row.retrying }), el("td", { class: "num", text: row.dead }),
    el("td", { text: when(row.last_sent_at) }),
    el("td", { class: "error-text" }, ...errorCell(row, when(row.last_error_at)),
      // Tries that went out with no answer read (a gateway that answered too late): they may have been delivered.
      row.outcome_unknown ? el("span", { class: "unknown", text: counted("deliveries_unknown_count", row.outcome_unknown).replace("{n}", () => row.outcome_unknown) }) : null),
    el("td", {}, button));
}

function deadRow(letter) {
  const endpoint = last.endpoints.find((row) => row.endpoint === letter.endpoint);
  const name = endpoint ? endpointName(endpoint)
    : letter.endpoint === "gateway" ? T("deliveries_gateway") : `Webhook ${letter.endpoint}`;
  const what = letter.what[currentLang()] || letter.what.id;
  const time = when(letter.created_at);
  // Named with its message ("Kirim ulang Tiket dipanggil, Webhook wh_1, 09.12"): a column of "Kirim ulang" says
  // nothing to a screen reader.
  return el("tr", { "data-message": letter.id },
    el("td", { text: time }), el("td", { text: name }), el("td", { class: "lead", text: what }),
    el("td", { class: "num", text: letter.attempts }),
    el("td", { class: "error-text" }, ...errorCell(letter, ""),
      letter.outcome_unknown ? el("span", { class: "unknown", text: T("deliveries_unknown") }) : null),
    el("td", {}, el("button", { type: "button", text: T("deliveries_resend"), "aria-label": `${T("deliveries_resend")} ${what}, ${name}, ${time}`,
      onclick: () => resend({ message: letter.id }) })));
}

// Read every 10 seconds: the rows are updated in place, so a focused "Kirim ulang" keeps the focus. On a phone each
// row is a card ("stack", base.css) headed by the endpoint or the message, its button under its figures.
function render() {
  redraw($("endpoint-rows"), last.endpoints, endpointRow, (row) => row.dataset.endpoint);
  labelCells($("endpoints"));
  $("no-endpoints").hidden = last.endpoints.length > 0;
  redraw($("dead-rows"), last.dead, deadRow, (row) => row.dataset.message);
  labelCells($("dead"));
  $("no-dead").hidden = last.dead.length > 0;
}

async function load() {
  // The failed messages first, the counts after: a message that fails between the two reads is then counted but not
  // yet listed, never listed under an endpoint that says "0 gagal" and offers no "Kirim ulang semua".
  const dead = await api(`/api/v1/sites/${site.id}/deliveries/dead`);
  const status = await api(`/api/v1/sites/${site.id}/deliveries`);
  $("deliveries-error").textContent = status.ok ? "" : errorText(status.body);
  if (!status.ok || !dead.ok) return;
  const now = status.body.now ? Date.parse(status.body.now) : Date.now(); // the server's clock says which day is today
  last = { endpoints: status.body.endpoints, dead: dead.body.dead, today: localDay(now) };
  render();
  document.body.dataset.loaded = "true";
}

function start() {
  load();
  setInterval(load, 10_000);
}

onLangChange(() => {
  applyTexts();
  render();
});
boot(start);

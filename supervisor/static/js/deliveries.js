// Messages out (docs/notifications.md): per endpoint (the WhatsApp/SMS gateway, each webhook) how many were sent,
// are waiting or being retried, and have failed for good; the failed ones can be sent again once the receiver is
// mended. Read every 10 seconds.

import { T, api, applyTexts, boot, currentLang, el, errorText, onLangChange, shortTime, site, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
let last = { endpoints: [], dead: [] };

function endpointName(row) {
  return row.kind === "gateway" ? T("deliveries_gateway") : `Webhook ${row.endpoint}`;
}

function stateOf(row) {
  if (row.breaker === "open") return ["bad", T("deliveries_paused")];
  if (row.failing) return ["bad", T("deliveries_failing")];
  if (row.retrying) return ["warn", T("deliveries_retrying")];
  return ["ok", T("deliveries_ok")];
}

async function resend(body) {
  const result = await api(`/api/v1/sites/${site.id}/deliveries/resend`, { method: "POST", body });
  if (!result.ok) return toast(errorText(result.body), "danger");
  toast(T("deliveries_resent").replace("{n}", result.body.resent), "info");
  load();
}

function endpointRow(row) {
  const [kind, said] = stateOf(row);
  const button = row.dead
    ? el("button", { type: "button", "data-resend": row.endpoint, text: T("deliveries_resend_all"), onclick: () => resend({ endpoint: row.endpoint }) })
    : null;
  return el("tr", { "data-endpoint": row.endpoint },
    el("td", {}, el("strong", { text: endpointName(row) }), el("br"), el("span", { class: "hint", text: row.url || "" })),
    el("td", {}, el("span", { class: `badge ${kind}`, text: said })),
    el("td", { class: "num", text: row.sent }), el("td", { class: "num", text: row.pending }),
    el("td", { class: "num", text: row.retrying }), el("td", { class: "num", text: row.dead }),
    el("td", { text: row.last_sent_at ? shortTime(row.last_sent_at) : "–" }),
    el("td", { class: "error-text", text: row.last_error ? `${shortTime(row.last_error_at)} · ${row.last_error}` : "" }),
    el("td", {}, button));
}

function deadRow(letter) {
  const name = letter.endpoint === "gateway" ? T("deliveries_gateway") : `Webhook ${letter.endpoint}`;
  return el("tr", { "data-message": letter.id },
    el("td", { text: shortTime(letter.created_at) }), el("td", { text: name }), el("td", { text: letter.what[currentLang()] || letter.what.id }),
    el("td", { class: "num", text: letter.attempts }), el("td", { class: "error-text", text: letter.last_error || "" }),
    el("td", {}, el("button", { type: "button", text: T("deliveries_resend"), onclick: () => resend({ message: letter.id }) })));
}

function render() {
  $("endpoint-rows").replaceChildren(...last.endpoints.map(endpointRow));
  $("no-endpoints").hidden = last.endpoints.length > 0;
  $("dead-rows").replaceChildren(...last.dead.map(deadRow));
  $("no-dead").hidden = last.dead.length > 0;
}

async function load() {
  const [status, dead] = await Promise.all([
    api(`/api/v1/sites/${site.id}/deliveries`),
    api(`/api/v1/sites/${site.id}/deliveries/dead`),
  ]);
  $("deliveries-error").textContent = status.ok ? "" : errorText(status.body);
  if (!status.ok || !dead.ok) return;
  last = { endpoints: status.body.endpoints, dead: dead.body.dead };
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

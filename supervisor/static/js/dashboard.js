// The live dashboard: draws the figures the server pushes (`dashboard` notices over the websocket, computed with the
// server's clock), ticks the durations between two pushes, shows alerts as they come, and runs the supervisor's
// actions through the API. It computes no figure of its own: the numbers are the server's, as in the reports.

import {
  T, agencyOf, api, applyTexts, ask, boot, clockText, commandId, config, counted, el, errorText, fatal, minutesText,
  onLangChange, redraw, shortTime, site, stopwatch, toast, token, withdrawQuestion, zoneLabel,
} from "./common.js";
import { LiveClient } from "/static/shared/live-client.js";

const $ = (id) => document.getElementById(id);
let figures = null;
let receivedAt = 0; // performance.now() when the figures arrived: durations grow from there until the next push
let me = null;
let agency = config.agency;

function elapsed() {
  return (performance.now() - receivedAt) / 1000;
}

function serverNow() {
  return Date.parse(figures.server_time) + elapsed() * 1000;
}

function grown(seconds) {
  return seconds === null || seconds === undefined ? null : seconds + elapsed();
}

// --- drawing ----------------------------------------------------------------------------------------------------

const alertKey = (node) => node.dataset.alert || node.dataset.key;

// The word before an alert's sentence says its kind, in any colours (forced colours, a grey printout, colour
// blindness): "Antrean:", "Layar:", "Kuota:".
function alertElement(alert) {
  const text = currentMessage(alert);
  // A delivery's or the uplink's problem is said in words; its technical text is there on hovering, for whoever mends it.
  return el("p", { class: `alert ${alert.kind}`, "data-alert": alert.id, title: alert.detail || null },
    el("strong", { class: "kind", text: `${T(`alert_kind_${alert.kind}`)}:` }), " ", el("span", { class: "message", text }));
}

// The alerts region is not a live region: a new or cleared alert is said once, by its notice (a toast); redrawing
// the list on every push must not be read again and again.
function renderAlerts() {
  const items = [];
  // A closed day is said first, whatever else: issuing and counters are refused until it is reopened.
  if (figures.day_closed) {
    const reason = figures.day_closed_reason; // said as citizens are told it
    // a function, not a string: "$&" or "$$" in what the supervisor typed are said as typed, not read as patterns
    const text = reason ? T("day_closed_banner_reason").replace("{reason}", () => reason) : T("day_closed_banner");
    items.push({ key: "day-closed", class: "alert day-closed", text });
  }
  if (!figures.alerts.length && !figures.day_closed) items.push({ key: "none", class: "alert none", text: T("no_alerts") });
  // A screen that is down first: it is one place to walk to; late queues follow, longest first.
  const first = (a) => (a.kind === "clock" || a.kind === "device" ? 0 : 1); // one place to go, or the whole day at stake
  const ordered = [...figures.alerts].sort((a, b) => first(a) - first(b)
    || (b.wait || 0) - (a.wait || 0));
  items.push(...ordered);
  redraw($("alerts"), items, (item) => (item.key
    ? el("p", { class: item.class, "data-key": item.key, text: item.text })
    : alertElement(item)), alertKey);
  countHiddenAlerts();
}

// The box shows two rows of alerts; more scroll inside it. Those out of view, wholly or in part, are counted under
// it ("5 dari 8 peringatan tidak tampak utuh · Tampilkan semua"), so that nobody takes the first rows for all.
function countHiddenAlerts() {
  const box = $("alerts");
  const more = $("alerts-more");
  const expanded = box.classList.contains("expanded");
  const edge = box.getBoundingClientRect();
  const all = [...box.children];
  const hidden = all.filter((node) => {
    const r = node.getBoundingClientRect();
    return r.bottom > edge.bottom + 1 || r.top < edge.top - 1;
  }).length;
  more.hidden = !expanded && hidden === 0;
  more.setAttribute("aria-expanded", String(expanded));
  more.textContent = expanded ? T("alerts_fewer") : counted("alerts_more", all.length).replace("{n}", () => hidden).replace("{total}", () => all.length);
}

$("alerts-more").addEventListener("click", () => {
  $("alerts").classList.toggle("expanded");
  countHiddenAlerts();
});
$("alerts").addEventListener("scroll", countHiddenAlerts, { passive: true });
window.addEventListener("resize", countHiddenAlerts);

function currentMessage(alert) {
  return document.documentElement.lang === "en" ? alert.message_en : alert.message;
}

function renderKpis() {
  const totals = figures.totals;
  $("kpi-waiting").textContent = totals.waiting;
  $("kpi-longest").textContent = minutesText(grown(totals.longest_wait));
  $("kpi-served").textContent = totals.served;
  $("kpi-last-hour").textContent = totals.served_last_hour;
  $("kpi-counters").textContent = `${totals.counters_open} / ${figures.counters.length}`;
  // Screens of the site with no TV connected now (as the national view counts them), of all its screens. A mall on
  // its own server (seen here on its mirror): as that server last reported them, or not known when it has not lately.
  const known = totals.screens_down !== null && totals.screens_down !== undefined;
  $("kpi-devices").textContent = known ? `${totals.screens_down} / ${totals.screens_total}` : T("mirror_screens");
  const said = site.mirrored ? T(known ? "mirror_screens_said" : "mirror_screens_title") : null;
  if (said) $("kpi-devices").title = said;
  else $("kpi-devices").removeAttribute("title");
  flag("kpi-devices", totals.screens_down > 0);
  // Any service past its target, staffed or not (one with no counter open raises no_counter instead of wait).
  flag("kpi-longest", figures.services.some((s) => isLate(s, s.longest_wait)));
}

// A figure in trouble is red, and says so in words beside it ("lewat target"): not by colour alone.
function flag(id, bad) {
  $(id).closest(".kpi").classList.toggle("bad", bad);
  $(`${id}-flag`).hidden = !bad;
}

// Busy services first (over target, then the longest wait), quiet ones after, in the site file's order.
function serviceOrder(a, b) {
  const late = (s) => (s.longest_wait !== null && s.longest_wait > s.target_wait_minutes * 60 ? 1 : 0);
  const busy = (s) => (s.waiting || s.tickets ? 1 : 0);
  return late(b) - late(a) || busy(b) - busy(a) || (b.longest_wait || 0) - (a.longest_wait || 0);
}

function isLate(s, longest) {
  return longest !== null && longest > s.target_wait_minutes * 60;
}

// The longest wait against its target: "46 mnt / 45 mnt", or once past it "46 mnt lewat 45 mnt" (in words, not only
// the row's colour; a screen reader hears "lewat target 45 mnt").
function fillLongest(row, s) {
  const longest = grown(s.longest_wait);
  const over = isLate(s, longest);
  row.classList.toggle("late", over);
  const wait = row.querySelector(".longest .wait");
  if (wait.textContent !== minutesText(longest)) wait.textContent = minutesText(longest); // once a minute
  const target = `${s.target_wait_minutes}\u00a0${T("minutes_short")}`; // "45 mnt" never cut in two
  const small = row.querySelector(".longest small");
  const said = over ? ` ${T("over_word")} ${T("target")} ${target}` : ` / ${target}`;
  if (small.textContent === said) return;
  small.replaceChildren(...(over
    ? [` ${T("over_word")} `, el("span", { class: "visually-hidden", text: `${T("target")} ` }), target]
    : [said]));
}

function serviceRow(s) {
  const colour = agencyOf(s.agency)?.colour || "#888";
  const row = el("tr", { "data-service": s.id, class: s.waiting || s.tickets ? "" : "quiet" },
    el("td", { class: "name", title: s.name },
      el("div", { class: "cell" },
        el("span", { class: "dot", style: `background:${colour}` }),
        el("span", { class: "prefix", text: s.prefix }),
        el("span", { class: "text", text: s.name })),
      s.paused ? pausedNote(s) : null),
    el("td", { class: "num waiting", text: s.waiting }),
    el("td", { class: "num longest" }, el("span", { class: "wait" }), el("small", { title: T("target_wait") })),
    newTicketCell(s.new_ticket),
    quotaCell(s),
    el("td", { class: "num", text: minutesText(s.mean_wait) }),
    el("td", { class: "num", text: minutesText(s.mean_service) }),
    el("td", { class: "num served", text: s.served }),
    el("td", { class: "num", text: s.served_last_hour }),
    el("td", { class: "num", text: s.counters_open }));
  fillLongest(row, s);
  return row;
}

// Issuing paused: "Berhenti: Blangko habis · perkiraan dibuka 13.00" under the service's name, and "Lanjutkan" for
// those who may (named with its service for a screen reader). An expected time gone by stays, said to be past
// ("..., sudah lewat"): nothing resumes by itself, and the supervisor is the one to resume or say a new time.
function pausedWords(s) {
  const until = s.paused.until;
  const key = until && Date.parse(until) <= serverNow() ? "paused_until_past" : "paused_until_word";
  const expected = until ? ` · ${T(key).replace("{until}", () => shortTime(until))}` : "";
  return `${T("paused_word")}: ${s.paused.reason}${expected}`;
}

function pausedNote(s) {
  const note = el("div", { class: "paused-note" }, el("span", { class: "paused-text", text: pausedWords(s) }));
  if (mayPause(s.agency)) {
    note.append(el("button", {
      type: "button", class: "small", "data-resume": s.id, text: T("resume_issuing"),
      "aria-label": T("resume_issuing_label").replace("{service}", () => s.name),
    }));
  }
  return note;
}

function mayPause(agencyId) {
  if (!me || site.mirrored) return false;
  return me.role === "admin" || me.role === "supervisor" || (me.role === "operator" && me.agency === agencyId);
}

async function resumeIssuing(button) {
  button.disabled = true;
  const result = await api(`/api/v1/sites/${site.id}/resume-issuing`, {
    method: "POST", body: { service: button.dataset.resume, command_id: commandId() },
  });
  button.disabled = false;
  toast(result.ok ? T("resumed_done") : errorText(result.body), result.ok ? "ok" : "danger", 4);
}

// The services one may pause (an operator: their agency's), and "every service of" each such agency.
function fillPauseTargets() {
  const select = document.querySelector("form[data-action=pause-issuing]").elements.target;
  const agencies = site.agencies.filter((a) => mayPause(a.id) && (!agency || a.id === agency));
  const options = [];
  for (const a of agencies) {
    options.push(el("option", { value: `agency:${a.id}`, text: T("pause_all_of").replace("{agency}", () => a.short_name || a.name) }));
    for (const s of site.services.filter((x) => x.agency === a.id)) {
      options.push(el("option", { value: `service:${s.id}`, text: `${s.prefix} · ${s.name}` }));
    }
  }
  select.replaceChildren(...options);
  $("pause-issuing").hidden = options.length === 0;
}

function renderServices() {
  redraw($("services"), [...figures.services].sort(serviceOrder), serviceRow, (node) => node.dataset.service);
}

// What a ticket taken now would be told: the range in minutes, "past closing" (open a counter or stop issuing), or
// "–" with no counter of the service open.
function newTicketCell(wait) {
  const past = Boolean(wait && wait.status === "estimated" && wait.after_closing);
  let text = "–";
  if (past) text = T("new_ticket_after_closing");
  else if (wait && wait.status === "estimated") text = `${wait.low}–${wait.high} ${T("minutes_short")}`;
  return el("td", { class: `num new-ticket${past ? " past" : ""}`, title: T("new_ticket_title"), text });
}

// The walk-in quota: "12 / 40 · sisa 28", "habis 08.12" in red once spent (the quota_spent alert), "–" without one.
function quotaCell(s) {
  if (s.quota === null || s.quota === undefined) return el("td", { class: "num quota", text: "–" });
  const title = `${T("quota_cell_title")}: ${s.quota_issued} / ${s.quota}`;
  if (s.quota_spent_at) {
    return el("td", { class: "num quota spent", title },
      el("span", { text: `${T("quota_spent_word")} ${shortTime(s.quota_spent_at)}` }));
  }
  return el("td", { class: "num quota", title },
    el("span", { text: `${s.quota_issued} / ${s.quota}` }),
    el("small", { text: ` · ${T("quota_left_word")} ${s.quota_left}` }));
}

function canAct(counter) {
  if (!me || site.mirrored) return false; // a mirrored mall is acted on at its own server
  return me.role === "admin" || me.role === "supervisor" || (me.role === "operator" && me.agency === counter.agency);
}

function counterButtons(c) {
  if (!canAct(c)) return null;
  const buttons = [];
  // Named with their counter ("Tutup Loket 4"): a list of a dozen "Tutup" says nothing to a screen reader.
  const add = (command, key, kind = "") => buttons.push(el("button", {
    type: "button", class: `small ${kind}`, "data-command": command, "data-counter": c.id, text: T(key),
    "aria-label": `${T(key)} ${c.name}`,
  }));
  if (c.state === "closed") add("open", "open");
  if (c.state === "paused") add("resume", "resume");
  if (c.state === "open" && c.activity === "idle") add("pause", "pause");
  // Not while someone is being served (the server refuses it: finish first); a called citizen goes back to the queue.
  if (c.state !== "closed" && c.activity !== "serving") add("close", "close", "danger");
  return el("div", { class: "buttons" }, ...buttons);
}

// An idle counter says for how long ("Kosong 12 mnt", from the events: the same after a restart) and how many wait
// for its services meanwhile; a service running well past its usual time is marked "lama · biasanya 12 mnt" (and
// after a while an alert). Both cards are outlined while their alert stands.
function counterCard(c) {
  const colour = agencyOf(c.agency)?.colour || "#888";
  // people by the server's one rule (their name, else the account), as the counter pages name them
  const who = [agencyOf(c.agency)?.short_name, c.operator_name || c.operator].filter(Boolean).join(" · ");
  const idle = isIdleTimed(c);
  const alerted = figures.alerts.some((a) => a.id === `counter_idle:${c.id}` || a.id === `service_long:${c.id}`);
  const classes = ["counter", c.activity, c.overrun ? `overrun-${c.overrun}` : "", alerted ? "alerted" : ""];
  const usual = minutesText(c.usual_seconds);
  return el("article", { class: classes.filter(Boolean).join(" "), "data-counter": c.id, style: `--agency:${colour}` },
    el("header", {},
      el("strong", { text: c.name }),
      el("span", { class: "badge", "data-activity": c.activity, text: T(`state_${c.activity}`) })),
    el("div", { class: "ticket" },
      el("span", { class: "label", text: c.ticket || "—" }),
      // its time: fillStopwatch; an idle counter's since when it was left so, or that this was not recorded (idle
      // since before the server stamped it, or a mirrored mall's box of an earlier release that sends none)
      c.seconds !== null || idle ? el("span", { class: "for", title: idle ? `${T("state_idle")} ${T("since")} ${shortTime(c.idle_since)}` : T("since") })
        : c.activity === "idle" ? el("span", { class: "for untimed", title: T("idle_untimed_title"), text: T("idle_untimed") }) : null),
    idle && c.waiting_for ? el("small", { class: "note waiting", text: T("idle_waiting").replace("{n}", () => c.waiting_for) }) : null,
    c.overrun ? el("small", { class: "note long", text: T("long_mark").replace("{usual}", () => usual) }) : null,
    // who paused or closed it, and since when (staff data: the lobby's view never has it)
    c.left ? el("small", { class: "note left", text: leftText(c) }) : null,
    el("footer", {},
      el("span", { class: "who", text: who, title: who }), // cut on a narrow card: whole on hover
      el("span", { class: "done", text: `${c.served_today} ${T("served_today")}` })),
    // Closed by the server (its operator's account disabled, removed or moved): why, and where its citizen went.
    c.released ? el("p", { class: "released", text: currentMessage(c.released), title: currentMessage(c.released) }) : null,
    counterButtons(c));
}

function leftText(c) {
  return T(`left_${c.state}`).replace("{by}", () => c.left.by_name || c.left.by).replace("{time}", () => shortTime(c.left.at));
}

function isIdleTimed(c) {
  return c.activity === "idle" && c.idle_seconds !== null && c.idle_seconds !== undefined;
}

function fillStopwatch(card, c) {
  const span = card.querySelector(".for");
  if (!span) return;
  if (isIdleTimed(c)) span.textContent = minutesText(grown(c.idle_seconds)); // "12 mnt": the minutes are what count
  else if (c.seconds !== null) span.textContent = stopwatch(grown(c.seconds));
}

function renderCounters() {
  redraw($("counters"), figures.counters, counterCard, (node) => node.dataset.counter, fillStopwatch);
}

// Tickets parked at counters, the longest first: number, service, the counter that parked it and since when; a
// supervisor sends one back to its line or calls it to a counter (through "Tindakan tiket", confirmed there).
function renderParked() {
  const list = figures.parked || [];
  $("parked-count").textContent = list.length ? `(${list.length})` : "";
  document.querySelector(".board").classList.toggle("has-parked", list.length > 0); // the side's share (CSS)
  const supervising = !$("actions").hidden;
  redraw($("parked"), list.length ? list : [null], (t) => {
    if (t === null) return el("li", { class: "empty", "data-key": "empty", text: T("parked_none") });
    const where = T("parked_at_counter").replace("{counter}", () => t.counter_name || "–").replace("{time}", () => shortTime(t.since));
    // one of the two is shown, as the panel's width allows (dashboard.css); the other is not read either
    return el("li", { class: "parked-ticket", "data-key": `parked:${t.id}`, "data-ticket": t.label },
      el("strong", { class: "label", text: t.label }),
      el("span", { class: "what", title: `${t.service_name} · ${where}` },
        el("span", { class: "service", text: t.service_name }),
        el("small", { class: "where", text: where }),
        el("small", { class: "where-short", text: `${t.counter_name || "–"} · ${shortTime(t.since)}` })),
      el("span", { class: "for" }),
      supervising ? el("div", { class: "buttons" },
        el("button", { type: "button", class: "small", "data-unpark": "unpark-line", "data-ticket": t.label,
          text: T("parked_back_line"), "aria-label": `${T("parked_back_line")} ${t.label}` }),
        el("button", { type: "button", class: "small", "data-unpark": "unpark-counter", "data-ticket": t.label,
          text: T("parked_back_counter"), "aria-label": `${T("parked_back_counter")} ${t.label}` })) : null);
  }, (node) => node.dataset.key, fillParked);
}

function fillParked(node, t) {
  const span = t && node.querySelector(".for");
  if (span) span.textContent = minutesText(grown(t.seconds));
}

function renderDevices() {
  const items = figures.devices.length ? figures.devices : [null];
  redraw($("devices"), items, (d) => (d === null
    ? el("li", { class: "empty", "data-key": "empty", text: T("no_devices") })
    : el("li", { class: `device ${d.health}`, "data-device": d.screen, "data-key": `device:${d.id}` },
      el("span", { class: "health", "data-health": d.health, text: T(`health_${d.health}`) }),
      el("span", { class: "what" },
        el("strong", { text: d.screen_name || d.screen || "?" }),
        el("small", { text: d.name })),
      el("span", { class: "audio", text: `${T("audio")}: ${T(`audio_${d.audio}`)}` }),
      el("span", { class: "last", text: `${T("last_call")}: ${d.last_call_label || "–"}` }))), (node) => node.dataset.key);
}

function renderClock() {
  if (!figures) return;
  $("clock").textContent = clockText(serverNow());
  $("tz").textContent = zoneLabel();
}

function render() {
  if (!figures) return;
  followConfiguration(figures.configuration_version);
  renderAlerts();
  renderKpis();
  renderServices();
  renderCounters();
  renderParked();
  renderDevices();
  renderClock();
  document.body.classList.toggle("day-closed", figures.day_closed);
  $("close-day").hidden = figures.day_closed;
  $("reopen-day").hidden = !figures.day_closed;
  renderExpiring();
  markTransferTargets(document.querySelector("form[data-action=ticket]"));
}

// What "Tutup hari" would expire, and how many citizens it would tell by WhatsApp/SMS (a mall that sends messages),
// said in its dialog before it is confirmed (and kept up to date while it is open).
function renderExpiring() {
  const n = figures.totals.expiring;
  if (n === null || n === undefined) return;
  $("close-day-expiring").textContent = T(n === 0 ? "close_day_expiring_none" : n === 1 ? "close_day_expiring_one" : "close_day_expiring").replace("{n}", () => n);
  const told = figures.totals.told_if_closed;
  $("close-day-told").hidden = told === null || told === undefined;
  if (!$("close-day-told").hidden) {
    $("close-day-told").textContent = T(told === 0 ? "close_day_told_none" : told === 1 ? "close_day_told_one" : "close_day_told").replace("{n}", () => told);
  }
}

// A day closed by mistake: today opens again, its expired tickets wait again at their old places.
async function reopenDay() {
  if (await askOf({ kind: "reopen" }, () => ({
    title: T("action_reopen_day"), text: T("reopen_day_confirm"), yes: T("reopen_day_yes"),
  })) !== "yes") return;
  const result = await api(`/api/v1/sites/${site.id}/reopen-day`, { method: "POST", body: { command_id: commandId() } });
  if (!result.ok) return toast(errorText(result.body), "danger");
  toast(counted("reopen_day_done", result.body.restored).replace("{n}", () => result.body.restored), "ok", 6);
}

// Between two pushes only time moves: redraw the clock and the durations each second.
function tick() {
  if (!figures) return;
  renderClock();
  renderKpis();
  for (const row of document.querySelectorAll("#services tr[data-service]")) {
    const s = figures.services.find((x) => x.id === row.dataset.service);
    if (s) fillLongest(row, s);
    const paused = row.querySelector(".paused-text"); // its expected time passes without a new figure
    if (s?.paused && paused && paused.textContent !== pausedWords(s)) paused.textContent = pausedWords(s);
  }
  for (const card of document.querySelectorAll("#counters article[data-counter]")) {
    const c = figures.counters.find((x) => x.id === card.dataset.counter);
    if (c) fillStopwatch(card, c);
  }
  for (const node of document.querySelectorAll("#parked li[data-ticket]")) {
    fillParked(node, (figures.parked || []).find((t) => t.label === node.dataset.ticket));
  }
}

// --- live -------------------------------------------------------------------------------------------------------

function onFrame(frame) {
  if (frame.type === "dashboard") {
    figures = frame.data;
    receivedAt = performance.now();
    render();
    recheckQuestion();
  } else if (frame.type === "alert" && figures) { // alerts already active when the page opened are no news
    const alert = frame.data;
    const text = `${T(alert.active ? "new_alert" : "alert_cleared")}: ${currentMessage(alert)}`;
    toast(text, alert.active ? "danger" : "ok");
  } else if (frame.type === "error") {
    toast(errorText(frame), "danger");
  }
}

// --- the dashboard's questions: asked in the page, withdrawn when they no longer hold ----------------------------

// A question is asked of what the figures show when it is asked: closing a counter, of its calling that ticket;
// reopening the day, of the day being closed. The figures go on arriving behind it; once they show otherwise (the
// operator finished, closed or called another; another supervisor reopened), or the link drops and they can no
// longer be seen, it is withdrawn: nothing is sent, and a toast says why.
let asked = null; // { kind, counter, ticket, name, linkUp } of the open question
let linkUp = false;

async function askOf(situation, words, options) {
  const mine = { ...situation, linkUp };
  asked = mine;
  const answer = await ask(words, options);
  if (asked === mine) asked = null;
  if (answer !== "yes" || holds(mine)) return answer;
  toast(whyWithdrawn(mine), "warning", 12); // "yes" pressed as the figures that undo it arrived
  return "withdrawn";
}

function counterNow(id) {
  return figures?.counters.find((c) => c.id === id);
}

function holds(situation) {
  if (situation.linkUp && !linkUp) return false;
  if (situation.kind === "reopen") return !!figures?.day_closed;
  const c = counterNow(situation.counter);
  return c?.activity === "called" && c.ticket === situation.ticket;
}

function whyWithdrawn(situation) {
  if (situation.linkUp && !linkUp) return T("question_withdrawn_link");
  if (situation.kind === "reopen") return T("reopen_day_withdrawn");
  const name = counterNow(situation.counter)?.name || situation.name;
  return T("close_called_withdrawn").replace("{counter}", () => name).replace("{ticket}", () => situation.ticket);
}

// After every figures and every change of the link.
function recheckQuestion() {
  if (!asked || holds(asked)) return;
  const why = whyWithdrawn(asked);
  asked = null;
  withdrawQuestion();
  toast(why, "warning", 12);
}

// Closing a counter that is calling sends its citizen back to the queue: asked first, in the counter's words.
async function closeCalled(counter, button) {
  const name = () => counterNow(counter.id)?.name || counter.name;
  const answer = await askOf({ kind: "close", counter: counter.id, ticket: counter.ticket, name: counter.name }, () => ({
    title: T("close_called_title"),
    text: T("close_called_confirm").replaceAll("{counter}", () => name()).replaceAll("{ticket}", () => counter.ticket),
    yes: T("close_called_yes").replace("{counter}", () => name()),
  }), { danger: true });
  // the card behind may have been drawn anew meanwhile (the button that asked gone): the keyboard comes back to its
  // counter, or to the counters' list, never to <body>
  if (!button.isConnected) {
    const card = document.querySelector(`#counters article[data-counter="${CSS.escape(counter.id)}"]`);
    (card?.querySelector("button[data-command=close]") || card?.querySelector("button") || $("counters").closest("[tabindex]"))?.focus();
  }
  if (answer === "yes") counterCommand(counter.id, "close");
}

function setConnection(state) {
  const pill = $("conn");
  pill.dataset.state = state;
  pill.textContent = T(state === "refused" ? "refused" : state);
}

// --- actions ----------------------------------------------------------------------------------------------------

async function counterCommand(counter, command) {
  const result = await api(`/api/v1/sites/${site.id}/counters/${counter}/commands`, {
    method: "POST", body: { command, command_id: commandId() },
  });
  if (!result.ok) toast(errorText(result.body), "danger");
}

function openDialog(id) {
  const dialog = $(id);
  const form = dialog.querySelector("form");
  form.reset();
  form.querySelector(".error").textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  if (id === "dlg-text" && figures) form.elements.text.value = figures.running_text;
  if (id === "dlg-ticket") {
    showActionFields(form);
    noteLeft(form);
  }
  dialog.showModal();
}

// A cancellation's reason or a transfer's note: at most NOTE_MAX characters (the field's maxlength stops the typing
// there; the server refuses a longer one with reason_too_long or note_too_long), and what is left is said as it is
// typed, amber from 20 left.
const NOTE_MAX = 200;

function noteLeft(form) {
  const left = Math.max(0, NOTE_MAX - form.elements.note.value.length);
  const count = $("dlg-ticket-count");
  count.textContent = T("chars_left").replace("{left}", () => left).replace("{most}", () => NOTE_MAX);
  count.classList.toggle("low", left <= 20);
}

// The fields of the chosen action only: the target service of a transfer, the counter a parked ticket is called to.
function showActionFields(form) {
  const action = form.elements.action.value;
  for (const node of form.querySelectorAll("[data-when]")) node.hidden = node.dataset.when !== action;
  for (const node of form.querySelectorAll("[data-not-when]")) node.hidden = node.dataset.notWhen.split(" ").includes(action);
  if (action === "unpark-counter") fillCounters(form);
  markTransferTargets(form);
}

// The counters a parked ticket can be called to now: open, free, serving its service (the server checks it again).
function fillCounters(form) {
  const typed = form.elements.ticket.value.trim().toUpperCase();
  const ticket = (figures?.parked || []).find((t) => t.label === typed || t.id === form.elements.ticket.value.trim());
  const free = (figures?.counters || []).filter((c) => c.state === "open" && c.activity === "idle"
    && (!ticket || c.services.includes(ticket.service)));
  const select = form.elements.counter;
  const kept = select.value;
  select.replaceChildren(...free.map((c) => el("option", { value: c.id, text: c.name })));
  if (free.some((c) => c.id === kept)) select.value = kept;
}

// A parked ticket's button: the ticket dialog, filled in, to be confirmed there.
function openParked(button) {
  openDialog("dlg-ticket");
  const form = $("dlg-ticket").querySelector("form");
  form.elements.ticket.value = button.dataset.ticket;
  form.elements.action.value = button.dataset.unpark;
  showActionFields(form);
}

// A refusal is said under the form (role=alert) and marked on the field it is about, which names it as its
// description: "Tiket 'Z-999' tidak ditemukan" is read again when the ticket's field takes the focus.
function refuse(form, field, message) {
  form.querySelector(".error").textContent = message;
  for (const other of form.querySelectorAll("[aria-invalid]")) other.removeAttribute("aria-invalid");
  if (!field) return;
  field.setAttribute("aria-invalid", "true");
  field.focus();
}

async function submitDialog(form) {
  const kind = form.dataset.action;
  let result;
  if (kind === "running-text") {
    result = await api(`/api/v1/sites/${site.id}/running-text`, {
      method: "POST", body: { text: form.elements.text.value, command_id: commandId() },
    });
  } else if (kind === "pause-issuing") {
    const [what, id] = form.elements.target.value.split(":");
    const body = { [what]: id, reason: form.elements.reason.value, command_id: commandId() };
    if (form.elements.until.value) body.until = form.elements.until.value;
    result = await api(`/api/v1/sites/${site.id}/pause-issuing`, { method: "POST", body });
  } else if (kind === "ticket") {
    const chosen = form.elements.action.value;
    const action = chosen.startsWith("unpark") ? "unpark" : chosen;
    const body = { action, command_id: commandId() };
    const note = form.elements.note.value.trim();
    if (chosen === "unpark-counter") {
      if (!form.elements.counter.value) {
        refuse(form, form.elements.counter, T("unpark_no_counter"));
        return;
      }
      body.counter = form.elements.counter.value;
    } else if (action === "transfer") {
      body.target_service = form.elements.target_service.value;
      if (note) body.note = note;
    } else if (action === "cancel" && note) body.reason = note;
    if (!form.elements.ticket.value.trim()) {
      // spaces only: said here, not "address /tickets//actions not found"
      refuse(form, form.elements.ticket, T("ticket_missing"));
      return;
    }
    const ref = encodeURIComponent(form.elements.ticket.value.trim());
    result = await api(`/api/v1/sites/${site.id}/tickets/${ref}/actions`, { method: "POST", body });
  } else {
    if (form.elements.confirm.value.trim().toUpperCase() !== T("close_day_word")) {
      refuse(form, form.elements.confirm, T("close_day_confirm"));
      return;
    }
    const reason = form.elements.reason.value.trim(); // why, as citizens are told it; blank: not said
    const body = reason ? { reason, command_id: commandId() } : { command_id: commandId() };
    result = await api(`/api/v1/sites/${site.id}/close-day`, { method: "POST", body });
  }
  if (!result.ok) {
    // An unknown ticket is the ticket field's fault, a reason or note too long the note's, a counter busy, closed or
    // not serving the ticket's service the counter field's; the running text's refusal is its text's.
    const code = result.body?.error?.code;
    const tooLong = ["reason_too_long", "note_too_long"].includes(code);
    const counterAt = kind === "ticket" && form.elements.action.value === "unpark-counter"
      && ["counter_busy", "counter_closed", "counter_paused", "not_served_here"].includes(code);
    const field = kind === "ticket"
      ? (result.status === 404 ? form.elements.ticket : tooLong ? form.elements.note : counterAt ? form.elements.counter : null)
      : kind === "running-text" ? form.elements.text
        : kind === "pause-issuing" ? (code === "issuing_pause_until_past" || result.body?.error?.details?.field === "until"
          ? form.elements.until : form.elements.reason)
        : kind === "close-day" && result.body?.error?.details?.field === "reason" ? form.elements.reason : null;
    refuse(form, field, errorText(result.body));
    return;
  }
  form.closest("dialog").close();
  if (kind === "close-day") {
    const n = result.body.expired;
    toast(T(n === 1 ? "close_day_done_one" : "close_day_done").replace("{n}", () => n), "ok", 8);
    return;
  }
  toast(T(kind === "running-text" ? "saved" : kind === "pause-issuing" ? "paused_done" : "done"), "ok", 4);
}

function wireActions() {
  $("reopen-day").addEventListener("click", reopenDay);
  $("counters").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-command]");
    if (!button) return;
    const counter = figures?.counters.find((c) => c.id === button.dataset.counter);
    if (button.dataset.command === "close" && counter?.activity === "called") return closeCalled(counter, button);
    counterCommand(button.dataset.counter, button.dataset.command);
  });
  for (const button of document.querySelectorAll("[data-dialog]")) {
    button.addEventListener("click", () => openDialog(button.dataset.dialog));
  }
  for (const form of document.querySelectorAll("dialog > form[data-action]")) { // the page's forms, not its questions
    const dialog = form.parentElement;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitDialog(form);
    });
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  }
  const ticketForm = document.querySelector("form[data-action=ticket]");
  ticketForm.elements.action.addEventListener("change", () => showActionFields(ticketForm));
  ticketForm.elements.ticket.addEventListener("change", () => showActionFields(ticketForm));
  ticketForm.elements.target_service.addEventListener("change", () => markTransferTargets(ticketForm));
  $("parked").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-unpark]");
    if (button) openParked(button);
  });
  ticketForm.elements.note.addEventListener("input", () => noteLeft(ticketForm));
  $("services").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-resume]");
    if (button) resumeIssuing(button);
  });
  fillServices();
}

function fillServices() {
  fillPauseTargets();
  const ticketForm = document.querySelector("form[data-action=ticket]");
  ticketForm.elements.target_service.replaceChildren(...site.services.map((s) => el("option", {
    value: s.id, text: `${s.prefix} · ${s.name}`,
  })));
  markTransferTargets(ticketForm);
}

// A transfer's target whose issuing is paused today is still offered (the server accepts it: the citizen is already
// in the mall, and a paused line is still called), but marked in the list and, once chosen, said with why before
// "Jalankan"; kept up to date with the figures while the dialog is open.
function markTransferTargets(form) {
  const pausedOf = (id) => figures?.services.find((s) => s.id === id)?.paused || null;
  for (const option of form.elements.target_service.options) {
    const s = site.services.find((x) => x.id === option.value);
    const text = s && `${s.prefix} · ${s.name}${pausedOf(s.id) ? ` — ${T("target_paused_word")}` : ""}`;
    if (text && option.text !== text) option.text = text;
  }
  const chosen = form.elements.action.value === "transfer" ? form.elements.target_service.value : "";
  const pause = chosen ? pausedOf(chosen) : null;
  const line = $("dlg-ticket-paused");
  const name = site.services.find((x) => x.id === chosen)?.name || chosen;
  const said = pause ? T("target_paused").replace("{service}", () => name).replace("{reason}", () => pause.reason) : "";
  if (line.textContent !== said) line.textContent = said;
  line.hidden = !pause;
}

// A configuration changed on the Settings page (or a new site file): the names, colours and services this page
// shows are read again, without a reload (new agencies had no colour, new services were missing from "Pindahkan").
let knownVersion = null;
async function followConfiguration(version) {
  if (version === undefined || version === knownVersion) return;
  const first = knownVersion === null;
  knownVersion = version;
  if (first) return; // the page was drawn from this one
  const result = await api(`/api/v1/sites/${site.id}`);
  if (!result.ok) {
    knownVersion = null; // asked again with the next figures
    return;
  }
  for (const key of ["agencies", "services", "counters"]) site[key].splice(0, site[key].length, ...result.body[key]);
  fillServices();
  render();
}

// --- start ------------------------------------------------------------------------------------------------------

function start(who) {
  me = who;
  if (me.role === "operator") agency = agency || me.agency; // an operator's dashboard is their own agency's
  const supervising = (me.role === "admin" || me.role === "supervisor") && !site.mirrored;
  $("actions").hidden = !supervising;
  $("scope").textContent = agency ? (agencyOf(agency)?.short_name || agency) : T("whole_site");
  wireActions();
  // A refusal (bad token, another agency) is final: the page shows why and stops.
  const live = new LiveClient({
    hello: () => {
      const hello = { role: "supervisor", site: site.id, token: token(), dashboard: true };
      if (agency) hello.agency = agency;
      return hello;
    },
    onMessage: onFrame,
    onStatus: (state, detail) => {
      // "doubtful" is a ping not yet answered: the figures shown still hold until the link is given up
      if (state !== "doubtful") linkUp = state === "connected";
      recheckQuestion();
      if (state === "connecting") setConnection(detail.first ? "connecting" : "reconnecting");
      else if (state === "connected" || state === "reconnecting") setConnection(state);
      else if (state === "refused") {
        setConnection("refused");
        fatal(errorText(detail.error));
      }
    },
  });
  live.start();
  setInterval(tick, 1000);
}

onLangChange(() => {
  applyTexts();
  noteLeft(document.querySelector("form[data-action=ticket]"));
  if (figures) render();
  $("scope").textContent = agency ? (agencyOf(agency)?.short_name || agency) : T("whole_site");
  setConnection($("conn").dataset.state);
});
boot(start);

// Online booking, step by step: a service, then a date, then a free slot (read from the server each time: others
// book too), then NIK and phone (verified by a code sent to it, where the mall has a gateway). The answer is a code
// and its QR. The NIK is sent once and then cleared from the
// form: this page never stores it, and the server keeps only a keyed hash.

import { call } from "./api.js";
import { Texts, formatDay, formatRange, formatSlot, formatTime, waitText } from "./i18n.js";
import { normaliseCode } from "./keypad.js";
import { Modes } from "./modes.js";

const config = JSON.parse(document.getElementById("booking-config").textContent);
const site = config.site.id;
const timeZone = config.site.timezone;
const texts = new Texts(config.text, config.lang);
new Modes(); // high contrast and large type, remembered by this device
const $ = (id) => document.getElementById(id);
const form = $("booking-form");

// A line's words, kept as how to write them (a function of the page's language) so that switching the language
// writes a refusal again in it: it used to stay in the language it was said in.
const written = new Map();

function say(id, text) {
  if (!$(id)) return; // the code's lines exist only where the mall verifies numbers
  const words = typeof text === "function" ? text() : text;
  if (typeof text === "function" && words) written.set(id, text);
  else written.delete(id);
  $(id).textContent = words || "";
  $(id).hidden = !words;
}

function chosen(name) {
  return form?.querySelector(`input[name="${name}"]:checked`)?.value || null;
}

// keep: the slot chosen before, kept chosen (and the NIK and number step open) when it can still be booked, as when
// the language is switched after the number's code was sent.
async function loadSlots(keep = null) {
  const service = chosen("service");
  const day = chosen("day");
  $("step-day").hidden = !service;
  $("step-slot").hidden = !(service && day);
  if (!keep) $("step-identity").hidden = true;
  say("slot-error", "");
  if (!service || !day) return;
  const answer = await call("GET", `/api/v1/sites/${site}/bookings/slots?service=${encodeURIComponent(service)}&day=${day}`);
  if (!answer.ok) return say("slot-error", () => texts.error(answer.error));
  const box = $("slots");
  box.replaceChildren();
  for (const slot of answer.data.slots) {
    const label = document.createElement("label");
    label.className = "b-slot" + (slot.available > 0 ? "" : " is-full");
    const input = Object.assign(document.createElement("input"), { type: "radio", name: "slot", value: slot.start, disabled: slot.available <= 0 });
    input.checked = slot.start === keep && slot.available > 0;
    const time = document.createElement("span");
    time.textContent = formatRange(slot.start, slot.end, texts.lang);
    const left = document.createElement("small");
    left.dataset.left = slot.available;
    const word = slot.past ? "booking_slot_past" : "booking_slot_full"; // a slot whose time has gone is not "Penuh"
    left.textContent = slot.available > 0 ? texts.t("booking_slot_left", { n: slot.available }) : texts.t(word);
    label.append(input, time, left);
    box.append(label);
  }
  // Today's slots of a service whose issuing is paused are not offered (the server sends none): why, in its words.
  const paused = answer.data.paused;
  say("slots-paused", paused ? texts.t("booking_paused_today", { reason: paused.reason }) : "");
  // A date with no time at all says why and what to do (a page left open overnight offered yesterday, and the
  // answer's empty list said nothing): the last date that can be booked named as the citizen writes dates.
  say("slots-why", answer.data.why && !paused ? () => whyNoSlots(answer.data) : "");
  $("slots-none").hidden = Boolean(paused || answer.data.why) || answer.data.slots.some((s) => s.available > 0);
  if (keep) $("step-identity").hidden = !chosen("slot");
}

function whyNoSlots(answer) {
  const { why, holiday, reason } = answer;
  const key = why === "holiday" && holiday ? "booking_why_holiday_named" : why === "closed_day" && reason ? "booking_why_closed_day_reason" : `booking_why_${why}`;
  return texts.t(key, { last: formatDay(answer.last_day, texts.lang), days: answer.days_ahead, holiday, reason });
}

// Or walk in today: each service's line at the mall now (GET .../waits, what a ticket taken now would be told),
// shown while the mall issues tickets and a counter of the service is open; at night it would only say "closed".
let waitsNow = null;

async function loadWaits() {
  const answer = await call("GET", `/api/v1/sites/${site}/waits`);
  if (!answer.ok || answer.data.issuing) return;
  waitsNow = answer.data.services || null;
  fillWaits();
}

function fillWaits() {
  for (const line of document.querySelectorAll("[data-now]")) {
    const wait = waitsNow?.[line.dataset.now];
    const full = wait && (wait.quota_left === 0 || (wait.status === "estimated" && wait.after_closing));
    const open = wait && wait.status === "estimated";
    line.hidden = !(full || open);
    if (full) line.textContent = texts.t("booking_now_full");
    else if (open) line.textContent = texts.t("booking_now", { n: wait.people_ahead, wait: waitText(texts, wait, wait.minutes) });
  }
}

function slotChosen() {
  $("step-identity").hidden = !chosen("slot");
  if (chosen("slot")) $("nik").focus();
}

const FIELD_ERRORS = {
  invalid_nik: "nik-error",
  invalid_phone: "phone-error",
  phone_code_required: "phone-code-error",
  phone_code_wrong: "phone-code-error",
  phone_code_expired: "phone-code-error",
};
// Refusals of what was chosen (the server says them before it looks at the NIK, the number or its code): said at
// the slots, read again, where the citizen picks another time or date.
const CHOICE_ERRORS = ["slot_full", "slot_unavailable", "online_quota_exhausted"];
const FIELD_OF_ERROR = { "nik-error": "nik", "phone-error": "phone", "phone-code-error": "phone-code" };

// Where the mall has a gateway the number is verified by a code sent to it (config.verify_phone). "Kirim kode"
// becomes "Kirim ulang (59)", counting down to when the server allows another, then "Kirim ulang kode".
let codeSent = null; // {phone, minutes} of the last code sent: said again in the other language
let resendAt = 0;
let countdown = null;

function showCountdown() {
  const button = $("send-code");
  if (!button) return;
  const left = Math.ceil((resendAt - Date.now()) / 1000);
  button.disabled = left > 0;
  button.dataset.t = codeSent ? "booking_resend_code" : "booking_send_code";
  button.textContent = left > 0 ? texts.t("booking_resend_in", { seconds: left }) : texts.t(button.dataset.t);
  if (left <= 0 && countdown) {
    clearInterval(countdown);
    countdown = null;
  }
}

// The proof the booking that used the number's code was answered with: this tab's other bookings of the number
// (a family's members) send it instead of a code for 30 minutes. Kept for the tab only, never in a link.
const PROOF_KEY = `booking-phone-proof:${site}`;

function proof() {
  try {
    return sessionStorage.getItem(PROOF_KEY);
  } catch {
    return null; // storage refused (a private window): every booking then asks for its code
  }
}

function keepProof(value) {
  try {
    if (value) sessionStorage.setItem(PROOF_KEY, value);
    else sessionStorage.removeItem(PROOF_KEY);
  } catch {
    // as above
  }
}

async function sendCode() {
  for (const id of ["phone-error", "phone-code-error", "form-error"]) say(id, "");
  $("send-code").disabled = true;
  const answer = await call("POST", `/api/v1/sites/${site}/bookings/phone-code`, {
    body: { phone: $("phone").value.trim(), lang: texts.lang },
  });
  if (answer.ok) {
    codeSent = { phone: answer.data.phone, minutes: answer.data.valid_minutes };
    say("code-status", texts.t("booking_code_sent", codeSent));
    resendAt = Date.now() + answer.data.resend_after * 1000;
    clearInterval(countdown);
    countdown = setInterval(showCountdown, 1000);
    showCountdown();
    return $("phone-code").focus();
  }
  showCountdown();
  const error = answer.error;
  if (error.code === "invalid_phone" || error.details?.field === "phone") return refuse("phone-error", () => texts.error(error));
  say("phone-code-error", () => texts.error(error)); // the gateway out of reach, too many from this network: no field to fix
}

// The NIK's digits, however they were typed: in groups with spaces, dots or dashes ("3328 0115 0590 0011", as it is
// often copied from the card), or as full-width digits ("３３２８…", as some phone keyboards type them; NFKC reads
// them as the plain digits they stand for, as the server does).
function nikDigits(typed) {
  return typed.normalize("NFKC").replace(/[\s.\-\u2010-\u2015\u2212]/g, "");
}

async function submit(event) {
  event.preventDefault();
  for (const id of ["nik-error", "phone-error", "phone-code-error", "form-error", "slot-error"]) say(id, "");
  const nik = nikDigits($("nik").value);
  if (!chosen("slot")) return say("slot-error", () => texts.t("booking_pick_slot"));
  if (!/^\d{16}$/.test(nik)) return refuse("nik-error", () => texts.t("booking_nik_length"));
  $("submit").disabled = true;
  const answer = await call("POST", `/api/v1/sites/${site}/bookings`, {
    body: {
      service: chosen("service"), day: chosen("day"), slot: chosen("slot"), nik, phone: $("phone").value.trim(),
      ...($("phone-code") ? { phone_code: $("phone-code").value.trim() } : {}),
      ...($("phone-code") && proof() ? { phone_proof: proof() } : {}),
      ...($("notify")?.checked ? { notify: true, lang: texts.lang } : {}),
    },
  });
  $("submit").disabled = false;
  const given = answer.ok ? answer.data.phone_proof : answer.error.details?.phone_proof;
  if (given) keepProof(given); // the code was used here, whatever became of the booking
  else if (!answer.ok && answer.error.code === "phone_code_required") keepProof(null); // over 30 minutes, or another number
  if (answer.ok) {
    form.reset(); // the NIK leaves the page's memory with the form
    codeSent = null;
    say("code-status", "");
    return showResult(answer.data.booking);
  }
  const error = answer.error;
  const field = FIELD_ERRORS[error.code] || (error.details?.field === "phone" ? "phone-error" : null);
  if (field) return refuse(field, () => texts.error(error));
  if (CHOICE_ERRORS.includes(error.code)) {
    await loadSlots();
    $("step-identity").hidden = false;
    if (error.details?.why && !$("slots-why").hidden) return; // the date itself: said once, by the slots' line
    return say("slot-error", () => texts.error(error));
  }
  say("form-error", () => texts.error(error));
}

// A refused field says why under it and takes the focus, so the citizen (or a screen reader) is where to fix it.
function refuse(errorId, text) {
  say(errorId, text);
  $(FIELD_OF_ERROR[errorId]).focus();
}

function nameQr() {
  const code = $("r-code").textContent;
  if (code) $("r-qr").alt = texts.t("booking_qr_alt", { code });
}

let booked = null; // the booking shown, its lines written again in the other language when it is switched

function showResult(booking) {
  booked = booking;
  form.hidden = true;
  $("result").hidden = false;
  fillResult(booking);
  // The form (and the focused button) is hidden: the result's heading takes the focus, as the kiosk's screens do.
  $("r-title").focus();
  $("result").scrollIntoView();
}

// Every line in the page's language: its slot, check-in window and number used to stay in the language it was
// booked in, so the English page said "Jadwal: Rabu, 9 Desember 2026" (and the Indonesian one English).
function fillResult(booking) {
  $("r-code").textContent = booking.code;
  $("r-qr").src = `/citizen/qr/b/${encodeURIComponent(booking.code)}.svg`;
  $("r-service").textContent = `${booking.service_name} · ${booking.agency_name}`;
  $("r-when").textContent = `${texts.t("booking_when")}: ${formatSlot(booking.day, booking.slot, booking.slot_end, texts.lang)}`;
  $("r-window").textContent = texts.t("booking_checkin_window", {
    from: formatTime(booking.checkin_from, texts.lang, timeZone),
    until: formatTime(booking.checkin_until, texts.lang, timeZone),
  });
  $("r-phone").textContent = `${texts.t("booking_phone")}: ${booking.phone}`;
  $("r-link").href = `/b/${encodeURIComponent(booking.code)}${texts.lang === "en" ? "?lang=en" : ""}`;
  nameQr();
}

// A code typed as "bk 7q3m2x", "7Q3M2X" or "BK-7Q3M2X" opens its status page; anything else says what a code looks
// like (it used to do nothing at all).
function lookup(event) {
  event.preventDefault();
  const input = event.target.elements.code;
  const code = normaliseCode(input.value.normalize("NFKC"));
  if (/^BK-[A-Z0-9]{6}$/.test(code)) return (location.href = `/b/${code}`);
  say("lookup-error", texts.t("booking_lookup_invalid"));
  input.focus();
}

if (form) {
  for (const input of form.querySelectorAll('input[name="service"], input[name="day"]')) input.addEventListener("change", () => loadSlots());
  $("slots").addEventListener("change", slotChosen);
  form.addEventListener("submit", submit);
  $("send-code")?.addEventListener("click", sendCode);
}
$("lookup").addEventListener("submit", lookup);
$("lookup").elements.code.addEventListener("input", () => say("lookup-error", ""));
$("lang").addEventListener("click", () => {
  texts.lang = texts.lang === "id" ? "en" : "id";
  texts.apply();
  if (chosen("day")) loadSlots(chosen("slot"));
  fillWaits();
  if (booked) fillResult(booked);
  if (codeSent) say("code-status", texts.t("booking_code_sent", codeSent));
  showCountdown();
  if (!$("lookup-error").hidden) say("lookup-error", texts.t("booking_lookup_invalid"));
  for (const [id, text] of written) say(id, text); // the refusals said, in the language now chosen
});
texts.apply();
if (form) loadWaits();

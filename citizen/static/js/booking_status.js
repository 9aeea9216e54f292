// A booking's status page: the check-in window in local time, and cancelling (after a confirmation).

import { call } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { Texts, formatTime } from "./i18n.js";

const config = JSON.parse(document.getElementById("status-config").textContent);
const texts = new Texts(config.text, config.lang);
const $ = (id) => document.getElementById(id);
let booking = config.booking;

function render() {
  // cancelled by the mall: "Dibatalkan oleh MPP: hari libur" and where to book again (a citizen's own: "Dibatalkan")
  const reason = booking.state === "cancelled" && booking.cancel_reason ? `_${booking.cancel_reason}` : "";
  $("s-state").dataset.state = booking.state;
  $("s-state").dataset.t = `booking_state_${booking.state}${reason}`;
  $("s-state").textContent = texts.t(`booking_state_${booking.state}${reason}`);
  // its day closed by a supervisor (today): a booking still to check in cannot be used, and why where they said it;
  // one the mall cancelled for a closed day says the supervisor's reason too
  const closed = config.day_closed;
  const unusable = Boolean(closed) && ["booked", "released"].includes(booking.state);
  const why = closed?.reason;
  let closedText = "";
  if (unusable) closedText = why ? texts.t("booking_status_day_closed_reason", { reason: why }) : texts.t("booking_status_day_closed");
  else if (["closed_day", "day_closed"].includes(booking.cancel_reason) && why) closedText = texts.t("booking_status_closed_reason", { reason: why });
  $("s-day-closed").textContent = closedText;
  $("s-day-closed").hidden = !closedText;
  $("s-closed").hidden = !reason && !unusable;
  $("s-cancel").hidden = booking.state !== "booked";
  $("s-qr").hidden = booking.state !== "booked" || unusable; // nothing left to check in (today)
  $("s-window").hidden = booking.state !== "booked" || unusable || !booking.checkin_from; // no check-in today
  if (booking.checkin_from) {
    $("s-window").textContent = texts.t("booking_checkin_window", {
      from: formatTime(booking.checkin_from, texts.lang, config.timezone),
      until: formatTime(booking.checkin_until, texts.lang, config.timezone),
    });
  }
}

async function cancel() {
  const yes = await confirmDialog({
    title: texts.t("booking_cancel"),
    text: texts.t("booking_cancel_confirm", { code: booking.code }),
    yes: texts.t("ticket_cancel_yes"),
    no: texts.t("ticket_cancel_no"),
  });
  if (!yes) return;
  const answer = await call("POST", `/api/v1/bookings/${encodeURIComponent(booking.code)}/cancel`);
  $("s-error").hidden = answer.ok;
  if (!answer.ok) return ($("s-error").textContent = texts.error(answer.error));
  booking = answer.data.booking;
  render();
}

$("s-cancel").addEventListener("click", cancel);
$("lang").addEventListener("click", () => {
  texts.lang = texts.lang === "id" ? "en" : "id";
  texts.apply();
  render();
});
texts.apply();
render();

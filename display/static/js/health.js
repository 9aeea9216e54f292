// Tells the server how this screen is doing (audio ready, blocked or off; the last call it received), so
// supervisors see every display in the hall on GET /api/v1/sites/{site}/devices. Sent after each welcome and
// whenever something changes; never twice the same.

export class HealthReporter {
  #sent = null;

  constructor(send, audio) {
    this.send = send;
    this.report = { type: "health", audio, last_call_seq: null, last_call_label: null };
  }

  update(changes) {
    Object.assign(this.report, changes);
    this.flush();
  }

  // After a reconnect the server has forgotten: say it all again.
  resend() {
    this.#sent = null;
    this.flush();
  }

  flush() {
    const text = JSON.stringify(this.report);
    if (text !== this.#sent && this.send(text)) this.#sent = text;
  }
}

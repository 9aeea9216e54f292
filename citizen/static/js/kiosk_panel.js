// The staff-only settings panel of a kiosk. Nothing on the screen shows it exists: holding the site name for three
// seconds opens it, and it does nothing until a supervisor or admin of this site signs in. The session ends when
// the panel closes (or the kiosk falls idle), so no staff token stays behind on a public screen.

import { call } from "./api.js";

const HOLD_MS = 3000;
const STAFF_ROLES = ["admin", "supervisor"];

export class StaffPanel {
  #session = null;

  constructor({ site, kioskToken, texts, onSaved }) {
    Object.assign(this, { site, kioskToken, texts, onSaved });
    this.kiosk = null;
    this.el = document.getElementById("panel");
    this.login = document.getElementById("panel-login");
    this.form = document.getElementById("panel-settings");
    this.message = document.getElementById("panel-message");
    this.errorLine = document.getElementById("panel-error");
    this.login.addEventListener("submit", (event) => this.#signIn(event));
    this.form.addEventListener("submit", (event) => this.#save(event));
    this.form.elements.mode.addEventListener("change", () => this.#showFields());
    document.getElementById("panel-test").addEventListener("click", () => this.#test());
    for (const button of this.el.querySelectorAll(".panel-close")) button.addEventListener("click", () => this.close());
  }

  get hidden() {
    return this.el.hidden;
  }

  // A long press: pointer down and held, without lifting or leaving, for HOLD_MS.
  attach(target) {
    let timer = 0;
    const cancel = () => clearTimeout(timer);
    target.addEventListener("pointerdown", () => {
      cancel();
      timer = setTimeout(() => this.open(), HOLD_MS);
    });
    for (const type of ["pointerup", "pointerleave", "pointercancel"]) target.addEventListener(type, cancel);
  }

  open() {
    this.#error("");
    this.login.reset();
    this.login.hidden = false;
    this.form.hidden = true;
    this.el.hidden = false;
    this.login.elements.username.focus();
  }

  close() {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.login.reset();
    const session = this.#session;
    this.#session = null;
    if (session) call("POST", "/api/v1/auth/logout", { token: session });
  }

  #error(text) {
    this.errorLine.textContent = text;
    this.errorLine.hidden = !text;
  }

  async #signIn(event) {
    event.preventDefault();
    this.#error("");
    const { username, password } = this.login.elements;
    const answer = await call("POST", "/api/v1/auth/login", { body: { username: username.value, password: password.value } });
    password.value = "";
    if (!answer.ok) return this.#error(this.texts.error(answer.error));
    const user = answer.data.user;
    if (!STAFF_ROLES.includes(user.role) || (user.site && user.site !== this.site)) {
      call("POST", "/api/v1/auth/logout", { token: answer.data.token });
      return this.#error(this.texts.t("panel_not_allowed"));
    }
    this.#session = answer.data.token;
    const settings = await call("GET", `/citizen/api/${this.site}/kiosk`, { token: this.kioskToken });
    if (settings.ok) this.kiosk = settings.data;
    this.#fill(this.kiosk);
    this.login.hidden = true;
    this.form.hidden = false;
  }

  #fill(settings) {
    const printer = settings?.printer || { mode: "browser" };
    const fields = this.form.elements;
    for (const name of ["mode", "host", "port", "device", "vendor_id", "product_id", "profile"]) {
      fields[name].value = printer[name] ?? (name === "mode" ? "browser" : "");
    }
    fields.qr_native.checked = printer.qr_native !== false;
    fields.public_url.value = settings?.public_url || "";
    document.getElementById("panel-kiosk").textContent = `${settings?.kiosk?.name ?? ""} · QR: ${settings?.qr_base ?? ""}`;
    this.message.textContent = "";
    this.#showFields();
  }

  #showFields() {
    const mode = this.form.elements.mode.value;
    for (const label of this.form.querySelectorAll("[data-for]")) label.hidden = !label.dataset.for.split(" ").includes(mode);
  }

  #printer() {
    const f = this.form.elements;
    const printer = { mode: f.mode.value, qr_native: f.qr_native.checked };
    for (const name of ["host", "device", "vendor_id", "product_id", "profile"]) if (f[name].value.trim()) printer[name] = f[name].value.trim();
    if (f.port.value.trim()) printer.port = Number(f.port.value.trim());
    return printer;
  }

  #staffCall(method, path, body) {
    return call(method, path, { token: this.#session, headers: { "X-Kiosk-Token": this.kioskToken }, body, timeoutMs: 20_000 });
  }

  async #save(event) {
    event.preventDefault();
    this.#error("");
    const body = { printer: this.#printer(), public_url: this.form.elements.public_url.value.trim() || null };
    const answer = await this.#staffCall("PUT", `/citizen/api/${this.site}/kiosk`, body);
    if (!answer.ok) return this.#error(this.texts.error(answer.error));
    this.kiosk = answer.data;
    this.onSaved(answer.data);
    this.#fill(answer.data);
    this.message.textContent = this.texts.t("panel_saved");
  }

  async #test() {
    this.#error("");
    this.message.textContent = "";
    const answer = await this.#staffCall("POST", `/citizen/api/${this.site}/print-test`, { printer: this.#printer() });
    if (!answer.ok) return this.#error(this.texts.error(answer.error) + (answer.error.details?.error ? ` (${answer.error.details.error})` : ""));
    this.message.textContent = this.texts.t("panel_test_ok");
  }
}

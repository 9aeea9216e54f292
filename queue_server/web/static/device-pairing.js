// A TV's or kiosk's page with no device token of its own shows a short code, and starts by itself once an admin or
// supervisor has typed that code on Settings -> Perangkat (application/device_pairing.py, docs/administration.md).
// The page asks the server for a code and a token it keeps to itself, shows the code, and asks every few seconds
// whether its token is a device's yet; once it is, it keeps the token in this browser (so a TV restarted at its
// address without a token comes back by itself) and opens its board or kiosk with the token in the fragment, which
// no server or log ever sees. An expired code is replaced by itself.
//
//   const token = deviceToken();            // the address's #token=..., else the one kept for this page
//   new Pairing({ site, lang, reason }).start();   // reason: a refusal of the token tried before (shown above)
//
// The start address of any new device, /perangkat, passes no site: its code is no mall's until an admin or supervisor
// of one types it, and the page then opens whichever board or kiosk that made it (keptDevice() sends it there on
// its next start).

const KEPT = "mpp-device"; // localStorage: {token, path} of the device this browser is
const RETRY_MS = 5_000; // the server away, or busy: asked again this much later

// The token this page runs with: its address's (#token=...), kept for the next start; else the one kept before
// for this same page; else none.
export function deviceToken() {
  const given = new URLSearchParams(location.hash.slice(1)).get("token");
  if (given) {
    // Kept: the address bar and the browser's history lose it (a photo of the screen, a synced history); kept
    // nowhere, it stays in the address for a reload to find.
    if (keep(given, location.pathname)) history.replaceState(null, "", location.pathname + location.search);
    return given;
  }
  const kept = read();
  return kept && kept.path === location.pathname ? kept.token : null;
}

// The page this browser's device was paired to, with its token ({token, path}), or null: the start address goes
// straight there.
export function keptDevice() {
  return read();
}

// A token the server refuses (revoked, unknown) is not kept: the next start shows a code instead of the refusal.
export function forgetToken(token) {
  const kept = read();
  if (kept && kept.token === token) {
    try {
      localStorage.removeItem(KEPT);
    } catch {
      // storage unavailable: nothing kept to forget
    }
  }
}

function read() {
  try {
    const kept = JSON.parse(localStorage.getItem(KEPT) || "null");
    return kept && typeof kept.token === "string" && typeof kept.path === "string" ? kept : null;
  } catch {
    return null;
  }
}

function keep(token, path) {
  try {
    localStorage.setItem(KEPT, JSON.stringify({ token, path }));
    return true;
  } catch {
    // a browser that keeps nothing: the token holds for this visit, and a restart shows a code again
    return false;
  }
}

const el = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
};

export class Pairing {
  constructor({ site = null, lang = "id", reason = null }) {
    this.site = site;
    // a device page asks at its mall's address; the start address at the server's, for a code of no mall yet
    this.url = site ? `/api/v1/sites/${encodeURIComponent(site)}/pairing` : "/api/v1/pairing";
    this.lang = lang === "en" ? "en" : "id";
    this.reason = reason;
    this.token = null;
    this.timer = 0;
    this.box = null;
  }

  start() {
    this.#draw();
    this.#ask();
  }

  // Both languages, the page's first (a technician may read either).
  #both(words) {
    const other = this.lang === "en" ? "id" : "en";
    return [words[this.lang] || "", words[other] || "", other];
  }

  #draw() {
    this.box = el("div", "pairing");
    this.box.id = "pairing";
    this.box.setAttribute("role", "alert");
    document.body.append(this.box);
    document.body.dataset.pairing = "asking";
  }

  #say(parts) {
    this.box.replaceChildren(...parts.filter(Boolean));
  }

  #reasonLines() {
    if (!this.reason) return [];
    const [first, second, other] = this.#both({ id: this.reason.message, en: this.reason.message_en });
    const lines = [el("p", "pairing-reason", first)];
    if (second && second !== first) {
      const line = el("p", "pairing-reason pairing-other", second);
      line.lang = other;
      lines.push(line);
    }
    return lines;
  }

  #pair(first, second, other, cls) {
    const one = el("p", cls, first);
    const two = el("p", `${cls} pairing-other`, second);
    two.lang = other;
    return [one, two];
  }

  async #ask() {
    clearTimeout(this.timer);
    const answer = await this.#call("POST", this.url, {});
    if (!answer.ok) return this.#wait(answer.error, answer.retryMs);
    const offered = answer.body;
    this.token = offered.token;
    const [title, titleOther, other] = this.#both(offered.says.title);
    const heading = el("h1", "pairing-title", title);
    const code = el("p", "pairing-code", offered.code);
    code.id = "pairing-code";
    this.#say([
      ...this.#reasonLines(),
      heading,
      this.#pair(title, titleOther, other, "pairing-subtitle")[1],
      code,
      ...this.#pair(...this.#both(offered.says.how), "pairing-how"),
      ...this.#pair(...this.#both(offered.says.valid), "pairing-valid"),
    ]);
    document.body.dataset.pairing = "waiting";
    this.timer = setTimeout(() => this.#poll(), offered.poll_seconds * 1000);
  }

  async #poll() {
    const answer = await this.#call("GET", this.url, null);
    if (answer.ok && answer.body.paired) return this.#go(answer.body.path);
    if (answer.ok) {
      this.timer = setTimeout(() => this.#poll(), 2_000);
      return;
    }
    if (answer.error?.code === "network" || answer.error?.code === "storage_unavailable") {
      this.timer = setTimeout(() => this.#poll(), RETRY_MS); // the same code still holds once the server is back
      return;
    }
    this.#ask(); // expired (or forgotten): a new code
  }

  // Paired: the token kept for the page it opens, then that page, with the token where servers never see it.
  #go(path) {
    keep(this.token, path);
    document.body.dataset.pairing = "paired";
    const target = `${path}${location.search}#token=${this.token}`;
    if (path === location.pathname) {
      history.replaceState(null, "", target);
      location.reload();
    } else {
      location.replace(target);
    }
  }

  #wait(error, retryMs) {
    const words = error?.message
      ? { id: error.message, en: error.message_en }
      : { id: "Menyambung ke server…", en: "Connecting to the server…" };
    const [first, second, other] = this.#both(words);
    this.#say([...this.#reasonLines(), ...this.#pair(first, second, other, "pairing-how")]);
    document.body.dataset.pairing = "retrying";
    this.timer = setTimeout(() => this.#ask(), retryMs || RETRY_MS);
  }

  async #call(method, url, body) {
    const headers = { Accept: "application/json" };
    if (body !== null) headers["Content-Type"] = "application/json";
    if (method === "GET" && this.token) headers.Authorization = `Bearer ${this.token}`;
    try {
      const response = await fetch(url, {
        method, headers, cache: "no-store", credentials: "omit", body: body === null ? undefined : JSON.stringify(body),
      });
      const answer = await response.json().catch(() => null);
      if (response.ok) return { ok: true, body: answer };
      const retry = Number(response.headers.get("Retry-After"));
      return { ok: false, error: answer?.error || { code: "network" }, retryMs: retry > 0 ? retry * 1000 : null };
    } catch {
      return { ok: false, error: { code: "network" } };
    }
  }
}

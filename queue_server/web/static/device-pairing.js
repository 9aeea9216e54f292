// A TV's or kiosk's page with no device token of its own shows a short code, and starts by itself once an admin or
// supervisor has typed that code on Settings -> Perangkat (application/device_pairing.py, docs/administration.md).
// The page asks the server for a code and a token it keeps to itself, shows the code, and asks every few seconds
// whether its token is a device's yet; once it is, it keeps the token in this browser (so a TV restarted at its
// address without a token comes back by itself) and opens its board or kiosk with the token in the fragment, which
// no server or log ever sees. An expired code is replaced by itself.
//
//   const token = deviceToken();            // the address's #token=..., else the one kept for this page
//   new Pairing({ site, kind, screen, lang, reason }).start();   // reason: a refusal of the token tried before
//
// A mall's page says what it is (kind "display" with its screen, or "kiosk"): its code pairs only as that, and the
// Settings page shows it and fixes kind and screen for the admin who types the code.
//
// The start address of any new device, /perangkat, passes no site: its code is no mall's until an admin or supervisor
// of one types it, and the page then opens whichever board or kiosk that made it (keptDevice() sends it there on
// its next start).

const KEPT = "mpp-device"; // localStorage: {token, path} of the device this browser is
const RETRY_MS = 5_000; // the server away, or busy: asked again this much later
// A question unanswered this long is given up and asked again: on a TV's Wi-Fi a request can hang for ever (a
// connection dropped without a word), and the page would wait on it instead of starting once paired.
const ANSWER_MS = 10_000;

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
  constructor({ site = null, kind = null, screen = null, lang = "id", reason = null }) {
    this.site = site;
    // what this page is, said with every code it asks for (the start address says nothing: its admin chooses)
    this.asks = site && kind ? { kind, ...(kind === "display" ? { screen } : {}) } : {};
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
    // What the page showed before (a TV's refusal notice, a kiosk's "not set up" screen) is covered and out of reach:
    // a screen reader read its sentence (a new #token= address) as well as the code's way back.
    for (const child of document.body.children) child.inert = true;
    document.body.append(this.box);
    document.body.dataset.pairing = "asking";
  }

  #say(parts) {
    this.box.replaceChildren(...parts.filter(Boolean));
  }

  // Why this page shows a code, above it. A token of its own refused (revoked, unknown): the code is the way back,
  // so the server's sentence for a code (`says.refused`) replaces the refusal's, which sends the technician to a new
  // #token=... address; that one stays only while no code could be asked for (`says` null).
  #reasonLines(says = null) {
    if (!this.reason) return [];
    const words = says?.refused && this.reason.details?.device_token === "refused"
      ? says.refused
      : { id: this.reason.message, en: this.reason.message_en };
    const [first, second, other] = this.#both(words);
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
    const answer = await this.#call("POST", this.url, this.asks);
    if (!answer.ok) return this.#wait(answer.error, answer.retryMs);
    const offered = answer.body;
    this.token = offered.token;
    const [title, titleOther, other] = this.#both(offered.says.title);
    const heading = el("h1", "pairing-title", title);
    const code = el("p", "pairing-code", offered.code);
    code.id = "pairing-code";
    this.#say([
      ...this.#reasonLines(offered.says),
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
        signal: typeof AbortSignal.timeout === "function" ? AbortSignal.timeout(ANSWER_MS) : undefined,
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

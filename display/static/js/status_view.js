// What the screen says about itself: the link dot, the "connection lost" and "sound blocked" banners, the caption
// of the announcement being spoken, and the refusal panel when the server does not accept this screen.

const AGO_TICK_MS = 5000; // "3 menit lalu" is kept true to the minute while the connection is lost

// "baru saja", "3 menit lalu", "1 jam 5 menit lalu", "25 jam lalu" (text.toml: ago_*), for an elapsed time in ms.
export function agoText(ms, t) {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return t.ago_now;
  if (minutes < 60) return t.ago_minutes.replace("{m}", () => minutes);
  const hours = Math.floor(minutes / 60);
  if (minutes % 60 === 0) return t.ago_hours_whole.replace("{h}", () => hours); // not "25 jam 0 menit lalu"
  return t.ago_hours.replace("{h}", () => hours).replace("{m}", () => minutes % 60);
}

export class StatusView {
  #link = "connecting";
  #audio = "unknown";
  #heardAt = null; // Date.now() when the server was last heard from
  #ticking = 0;

  // clock: the site's clock (js/clock.js), for the time the server was last heard from.
  constructor(config, clock) {
    this.lang = config.lang;
    this.t = config.text;
    this.clock = clock;
    const $ = (id) => document.getElementById(id);
    this.dot = $("link-dot");
    this.offline = $("banner-offline");
    this.audio = $("banner-audio");
    this.caption = $("caption");
    this.captionRecall = $("caption-recall");
    this.captionLabel = $("caption-label");
    this.captionWhere = $("caption-where");
    this.captionText = $("caption-text");
    this.refused = $("refused");
    this.refusedMessage = $("refused-message");
    this.refusedMessageOther = $("refused-message-en");
    this.refusedCode = $("refused-code");
    this.refusedHint = $("refused-hint");
  }

  // status: connecting, live, offline, refused; heardAt: when the server was last heard from (Date.now()), if ever.
  setLink(status, heardAt = null) {
    this.#link = status;
    this.#heardAt = heardAt;
    this.dot.dataset.status = status;
    document.body.dataset.link = status;
    document.body.classList.toggle("is-offline", status === "offline");
    if (status === "live") this.refused.hidden = true;
    clearInterval(this.#ticking);
    if (status === "offline") this.#ticking = setInterval(() => this.#showOffline(), AGO_TICK_MS);
    this.#banners();
  }

  setAudio(state) {
    this.#audio = state;
    document.body.dataset.audio = state;
    this.#banners();
  }

  // One banner at a time, in the top bar. A lost connection comes first: the dimmed board may be stale and the hall
  // must know it, while no call arrives to be said until it is back; "sound blocked" shows again then, until a tap.
  #banners() {
    const offline = this.#link === "offline";
    this.offline.hidden = !offline;
    this.audio.hidden = offline || this.#audio !== "blocked";
    if (offline) this.#showOffline();
  }

  // "Koneksi terputus sejak 08.30 (3 menit lalu) — menyambung ulang…": how old the board is, in the site's time. Its
  // short form, without "menyambung ulang…", where the long one would take more than the top bar's two lines.
  #showOffline() {
    if (this.#heardAt === null) return this.#setOffline(this.t.offline);
    const ago = Date.now() - this.#heardAt;
    // "(3 menit lalu)" is one unit: its spaces do not break (a portrait TV wrapped "(baru" / "saja)").
    const since = agoText(ago, this.t).replaceAll(" ", "\u00a0");
    const fill = (text) => text.replace("{time}", () => this.clock.timeText(this.clock.now() - ago)).replace("{ago}", () => since);
    if (this.#setOffline(fill(this.t.offline_since)) > 2) this.#setOffline(fill(this.t.offline_since_short));
  }

  // Shows `text` in the banner; answers how many lines it takes.
  #setOffline(text) {
    if (this.offline.textContent !== text) this.offline.textContent = text;
    const range = document.createRange();
    range.selectNodeContents(this.offline);
    return Math.round(range.getBoundingClientRect().height / parseFloat(getComputedStyle(this.offline).lineHeight));
  }

  // caption: { label, where, text, recall } of the call being said, or null. The printed label ("F-002") and the
  // counter come first: the words say "F dua, ... loket enam", which a citizen who cannot hear must match to their
  // ticket. The caption lies on the running text's band, one line high: a second line covered the waiting counts
  // and the last earlier call for as long as a call was said (a recall's words took two lines at 1920x1080, three
  // on a portrait TV). So the words are shown only when they fit on that line; the label, counter and a recall's
  // mark say all a citizen needs, and the words repeat them.
  setCaption(caption) {
    this.caption.hidden = !caption;
    this.captionRecall.hidden = !caption?.recall;
    this.captionLabel.textContent = caption?.label || "";
    this.captionWhere.textContent = caption?.where || "";
    this.captionText.textContent = caption?.text || "";
    this.captionText.hidden = false;
    if (caption) this.captionText.hidden = this.#captionLines() > 1;
  }

  #captionLines() {
    const style = getComputedStyle(this.caption);
    const content = this.caption.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return Math.round(content / parseFloat(style.lineHeight));
  }

  // The server's own words (its Indonesian message first), so whoever set up the TV knows what to fix.
  showRefusal(error) {
    const [first, second] = this.lang === "en" ? [error.message_en, error.message] : [error.message, error.message_en];
    this.refusedMessage.textContent = first || error.code || "";
    this.refusedMessageOther.textContent = second && second !== first ? second : "";
    this.refusedCode.textContent = error.code || "";
    // Its mall left out by the server (a site file refused at its start): the screen's address and token are right,
    // and sending the technician to them would waste their time.
    // A device token refused or missing: the server's sentence says what the technician does, the hint no more.
    this.refusedHint.hidden = error.code === "site_not_served" || Boolean(error.details?.device_token);
    this.refused.hidden = false;
  }
}

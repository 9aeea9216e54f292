// What the screen says about itself: the link dot, the "connection lost" and "sound blocked" banners, the caption
// of the announcement being spoken, and the refusal panel when the server does not accept this screen.

export class StatusView {
  constructor(config) {
    this.lang = config.lang;
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

  setLink(status) {
    this.dot.dataset.status = status;
    document.body.dataset.link = status;
    this.offline.hidden = status !== "offline";
    document.body.classList.toggle("is-offline", status === "offline");
    if (status === "live") this.refused.hidden = true;
  }

  setAudio(state) {
    this.audio.hidden = state !== "blocked";
    document.body.dataset.audio = state;
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

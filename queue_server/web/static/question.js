// A page's questions before it acts (the counter page's no-show, closing, signing out; the supervisor pages' closing
// a calling counter, reopening the day, saving a change with effects today, removals), in the page's own <dialog>
// rather than window.confirm: a browser's confirm box stops the whole page (no live event is drawn while it is
// open), cannot be taken back when what it asks about changes, speaks the browser's language and is suppressed by
// some kiosk-mode browsers. This one is modal for the person only: events keep being drawn behind it, and the page
// withdraws it (`withdraw`) when its situation no longer holds, so its "yes" can never confirm something that is no
// longer so.
//
// The page gives the <dialog> (its title .question-title, its text .question-text, the buttons .question-no and
// .question-yes with .question-yes-text inside, styled in the page's own CSS). One question at a time. `ask`
// resolves "yes", "no" (the cancel button, Esc, or the dialog closed any other way) or "withdrawn"; only "yes" may
// act. The focus goes to the safe choice (cancel), so an Enter pressed by habit does nothing; the dialog is named by
// its title and described by its text for screen readers.

export class Question {
  #dialog;
  #title;
  #text;
  #yes;
  #yesText;
  #no;
  #words = null; // () => { title, text, yes, no } in the page's language now: redrawn by `refresh`
  #settle = null; // resolves the question's promise while it is open

  constructor(dialog) {
    this.#dialog = dialog;
    this.#title = dialog.querySelector(".question-title");
    this.#text = dialog.querySelector(".question-text");
    this.#yes = dialog.querySelector(".question-yes");
    this.#yesText = dialog.querySelector(".question-yes-text");
    this.#no = dialog.querySelector(".question-no");
    this.#yes.addEventListener("click", () => this.#end("yes"));
    this.#no.addEventListener("click", () => this.#end("no"));
    // Esc: the dialog's own cancel; closed by the browser any other way, nothing is done either
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); this.#end("no"); });
    // (its close event comes a moment later: a question asked again meanwhile is open, and is not the one closed)
    dialog.addEventListener("close", () => { if (!dialog.open) this.#end("no"); });
  }

  get open() { return this.#settle !== null; }

  // `words`: a function giving the question's words as the page stands now (a count of citizens waiting, whether
  // the TV has said the number yet), asked again at every `refresh`; `key`: the keyboard key shown on "yes".
  ask(words, key = "") {
    this.#end("withdrawn"); // never two at once: an older one still open is not answered by this one's "yes"
    this.#words = words;
    this.#yes.querySelector("kbd")?.remove();
    if (key) {
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      this.#yes.append(kbd);
    }
    this.refresh();
    return new Promise((resolve) => {
      this.#settle = resolve;
      this.#dialog.showModal();
      this.#no.focus(); // the safe choice
    });
  }

  // The question's words again, in the page's language as it is now.
  refresh() {
    if (!this.#words) return;
    const { title, text, yes, no } = this.#words();
    for (const [el, value] of [[this.#title, title], [this.#text, text], [this.#yesText, yes], [this.#no, no]]) {
      if (el.textContent !== value) el.textContent = value;
    }
  }

  // Its situation no longer holds: closed, and its promise says "withdrawn" (nothing is sent).
  withdraw() { this.#end("withdrawn"); }

  // The key that asked, pressed again on purpose: as "yes".
  confirm() { this.#end("yes"); }

  #end(answer) {
    const settle = this.#settle;
    if (!settle) return;
    this.#settle = null;
    this.#words = null;
    if (this.#dialog.open) this.#dialog.close();
    settle(answer);
  }
}

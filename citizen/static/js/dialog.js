// A confirmation in the page's own dialog (window.confirm cannot be styled, is blocked in some in-app browsers and
// shows the site's address as its title): the shared question dialog (/static/shared/question.js, as the counter's
// and the supervisor's pages ask), a real modal <dialog> named by its title, the focus on "Tidak", Esc to cancel.

import { Question } from "/static/shared/question.js";

let question = null;

// `words`: { title, text, yes, no } in the page's language. Resolves true for "yes" only.
export async function confirmDialog(words) {
  question ??= new Question(document.getElementById("confirm"));
  return (await question.ask(() => words)) === "yes";
}

// The open confirmation taken back unanswered (what it asked about is over): it resolves as not confirmed.
export function withdrawConfirm() {
  question?.withdraw();
}

// A confirmation in the page's own dialog (window.confirm cannot be styled, is blocked in some in-app browsers
// and shows the site's address as its title).

export function confirmDialog(text) {
  const box = document.getElementById("confirm");
  const yes = document.getElementById("confirm-yes");
  const no = document.getElementById("confirm-no");
  document.getElementById("confirm-text").textContent = text;
  box.hidden = false;
  no.focus();
  return new Promise((resolve) => {
    const close = (answer) => {
      box.hidden = true;
      yes.onclick = no.onclick = null;
      resolve(answer);
    };
    yes.onclick = () => close(true);
    no.onclick = () => close(false);
  });
}

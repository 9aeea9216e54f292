// Makes the printed page exactly as long as the ticket. CSS cannot say "80 mm wide, as long as the content"
// (`size: 80mm auto` is not valid CSS and browsers drop it), and a fixed length would feed metres of blank roll
// or cut the ticket short. So measure the ticket and set the page size from it, before anyone prints.
(() => {
  const MM = 96 / 25.4; // CSS pixels per millimetre
  const height = Math.ceil(document.body.getBoundingClientRect().height / MM) + 2;
  const style = document.createElement("style");
  style.textContent = `@page { size: 80mm ${height}mm; margin: 0; }`;
  document.head.append(style);
  document.body.dataset.pageHeightMm = String(height);
})();

// Printing a ticket through the browser: the 80 mm page (/citizen/print/{token}) is loaded into a hidden frame of
// this page and printed from there. Chromium started with --kiosk-printing prints to the default printer without a
// dialog; elsewhere the usual print dialog appears.

export function printInFrame(frame, token, lang = "id") {
  return new Promise((resolve) => {
    const done = () => {
      frame.onload = null;
      try {
        frame.contentWindow.focus();
        frame.contentWindow.print();
        resolve(true);
      } catch {
        resolve(false);
      }
    };
    frame.onload = done;
    frame.src = `/citizen/print/${encodeURIComponent(token)}?lang=${encodeURIComponent(lang)}`;
  });
}

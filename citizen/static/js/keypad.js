// An on-screen keyboard for booking codes: a touch kiosk has no keyboard, and a code uses only these characters
// (no 0/O or 1/I to misread). A barcode scanner types into the same input like a keyboard.

const KEYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

export function buildKeypad(container, input, { clearLabel }) {
  buildKeys(container, input, [...KEYS, "-", "⌫"], { clearLabel, clearClass: "k-key k-key-wide", maxLength: 12 });
}

// "bk 7q3m2x", "7Q3M2X", "BK-7Q3M2X" and "ＢＫ－７Ｑ３Ｍ２Ｘ" (a phone's full-width letters) all name the same booking,
// as the server reads them (domain/booking.written_code).
export function normaliseCode(text) {
  const compact = text.normalize("NFKC").toUpperCase().replace(/[^A-Z0-9]/g, "");
  const body = compact.startsWith("BK") && compact.length === 8 ? compact.slice(2) : compact;
  return body.length === 6 ? `BK-${body}` : text.trim().toUpperCase();
}

// Digits for a phone number (a touch kiosk has no keyboard): 0-9, delete one, clear.
export function buildDigitPad(container, input, { clearLabel, maxLength = 15 }) {
  buildKeys(container, input, [..."123456789", "⌫", "0"], { clearLabel, clearClass: "k-key", maxLength });
}

// One button per key (⌫ deletes the last character), then a button that clears the input.
function buildKeys(container, input, keys, { clearLabel, clearClass, maxLength }) {
  const press = (key) => {
    input.value = key === "⌫" ? input.value.slice(0, -1) : (input.value + key).slice(0, maxLength);
    input.dispatchEvent(new Event("input"));
  };
  for (const key of keys) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "k-key";
    button.textContent = key;
    button.dataset.key = key;
    if (key === "⌫") button.dataset.tLabel = "key_delete"; // read as "hapus", not as the symbol's name
    button.addEventListener("click", () => press(key));
    container.append(button);
  }
  const clear = document.createElement("button");
  clear.type = "button";
  clear.className = clearClass;
  clear.dataset.t = clearLabel;
  clear.addEventListener("click", () => {
    input.value = "";
    input.dispatchEvent(new Event("input"));
  });
  container.append(clear);
}

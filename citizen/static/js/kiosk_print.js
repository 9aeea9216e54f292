// The kiosk's printer, as staff set it in the panel: "browser" prints the 80 mm page here, an ESC/POS printer
// ("network", "file", "usb") prints on the server, "none" prints nothing. A fault never loses the ticket: it is
// already issued, its number and QR stay on the screen, and "Print again" reprints it by its token.

import { call } from "./api.js";
import { printInFrame } from "./print_frame.js";

export class KioskPrinter {
  constructor({ site, kioskToken, frame }) {
    Object.assign(this, { site, kioskToken, frame });
    this.mode = "browser";
  }

  configure(settings) {
    this.mode = settings?.printer?.mode || "browser";
  }

  // Resolves to {state: "printed" | "fault" | "none", error}.
  async print(ticketToken, lang = "id") {
    if (this.mode === "none") return { state: "none" };
    if (this.mode === "browser") {
      const ok = await printInFrame(this.frame, ticketToken, lang);
      return ok ? { state: "printed" } : { state: "fault", error: null };
    }
    const answer = await call("POST", `/citizen/api/${this.site}/print`, {
      token: this.kioskToken,
      body: { token: ticketToken, lang },
      timeoutMs: 20_000,
    });
    return answer.ok ? { state: "printed" } : { state: "fault", error: answer.error };
  }
}

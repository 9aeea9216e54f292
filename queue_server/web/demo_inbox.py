"""The demo mall's stand-in for a WhatsApp gateway (`queue-server demo` only): the demo site sends its citizens'
messages here, and /demo/whatsapp shows them as a phone would, so whoever tries the demo sees "2 orang lagi" and
"silakan menuju Loket 1" arrive without a gateway contract. Numbers are shown masked, as everywhere else; the
messages live in memory only (the last 200). Each is stamped with the server's clock (a demo on a simulated clock,
`--clock-start`, reads its own time) in the mall's zone, as the kiosk and the TV beside it say the time."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from queue_server.application.personal import mask_phone
from queue_server.common.jsontext import JSONResponse
from queue_server.domain.catalogue import Gateway, NotifyPolicy, Site
from queue_server.domain.refusal import Refusal
from queue_server.web.requests import ctx_of, sites_of

PATH = "/demo/whatsapp"
_received: deque[dict[str, Any]] = deque(maxlen=200)


def with_demo_gateway(site: Site, host: str, port: int) -> Site:
    """The site sending its messages to this server's demo inbox (unless its file names a gateway of its own)."""
    if site.notify.offered:
        return site
    gateway = Gateway(f"http://127.0.0.1:{port}{PATH}", (), {"to": "{phone}", "text": "{text}", "id": "{message_id}"})
    public = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104 - only compared
    return replace(site, notify=NotifyPolicy(gateway, public, site.notify.people_ahead, site.notify.survey))


async def receive(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
        entry = {"to": mask_phone(str(body["to"])), "text": str(body["text"])[:1000], "id": str(body["id"])[:64]}
    except (ValueError, KeyError, TypeError, Refusal):
        return JSONResponse({"error": "expected {to, text, id}"}, status_code=400)
    if all(e["id"] != entry["id"] for e in _received):  # a repeat (same id) is dropped, as a receiver should
        now = ctx_of(request).now()  # the server's clock, as the kiosk's and the TV's (a demo's may be simulated)
        site = next(iter(sites_of(request).values()), None)  # the demo's mall: its wall clock, not the browser's
        shown = site.local(now).strftime("%H.%M") if site is not None else now.strftime("%H.%M UTC")
        _received.appendleft({**entry, "at": now.isoformat(timespec="seconds"), "shown_at": shown})
    return JSONResponse({"ok": True})


async def inbox(request: Request) -> Response:
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"messages": list(_received)})
    return HTMLResponse(_PAGE, headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP})


async def script(request: Request) -> Response:
    return Response(_SCRIPT, media_type="text/javascript")


CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'"
ROUTES = [
    Route(PATH, receive, methods=["POST"]),
    Route(PATH, inbox, methods=["GET"]),
    Route(f"{PATH}.js", script, methods=["GET"]),
]

_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pesan WhatsApp (demo)</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #e5ddd5; color: #111; }
header { background: #075e54; color: #fff; padding: 1rem; font-size: 1.2rem; font-weight: 700; }
header small { display: block; font-weight: 400; font-size: 0.9rem; opacity: 0.9; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; display: grid; gap: 0.7rem; }
.msg { background: #fff; border-radius: 10px; padding: 0.7rem 0.9rem; box-shadow: 0 1px 1px rgb(0 0 0 / 15%); }
.to { font-weight: 700; color: #075e54; }
.at { color: #555; font-size: 0.85rem; float: right; }
.text { margin-top: 0.3rem; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1.05rem; }
.empty { text-align: center; color: #333; }
</style></head>
<body><header>Pesan WhatsApp (demo)<small>Pengganti gateway WhatsApp/SMS untuk mal demo: pesan yang akan diterima
warga muncul di sini. Ambil nomor di kios lalu pilih "Kabari saya lewat WhatsApp".</small></header>
<main id="list"><p class="empty">Belum ada pesan.</p></main>
<script src="/demo/whatsapp.js" defer></script>
</body></html>
"""

_SCRIPT = """async function load() {
  const answer = await fetch("/demo/whatsapp", { headers: { Accept: "application/json" }, cache: "no-store" });
  const { messages } = await answer.json();
  const list = document.getElementById("list");
  if (!messages.length) return;
  list.replaceChildren(...messages.map((m) => {
    const box = document.createElement("div");
    box.className = "msg";
    box.dataset.id = m.id;
    const at = m.shown_at || new Date(m.at).toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" });
    box.innerHTML = '<span class="at"></span><span class="to"></span><div class="text"></div>';
    box.querySelector(".at").textContent = at;
    box.querySelector(".to").textContent = m.to;
    box.querySelector(".text").textContent = m.text;
    return box;
  }));
}
load();
setInterval(load, 2000);
"""

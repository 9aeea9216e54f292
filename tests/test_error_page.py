"""The server's error page (queue_server/web/error_page.py): a browser asking for a page at an address with none, at
one it cannot open (405), or naming a mall this server does not have gets a page in Indonesian then English, with
the server's own CSS and links it can use; an API client gets the JSON error of docs/api.md, unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser

from .display_support import until
from .helpers import Server, running_server

# What a browser's navigation sends (Chromium's own Accept header for a page).
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}
UNKNOWN_MALL = ("/kiosk/nosuchmall", "/booking/nosuchmall", "/desk/nosuchmall", "/display/nosuchmall/lobby",
                "/supervisor/nosuchmall", "/supervisor/nosuchmall/admin", "/counter/nosuchmall",
                "/counter/nosuchmall/1", "/survey/nosuchmall/1")  # fmt: skip


def links_of(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]*)"', html)


async def test_a_browser_gets_a_page_for_an_address_with_none(server: Server) -> None:
    for path in ("/kios/tegal", "/b/", "/t/", "/supervisor/tegal/nosuch", "/display/tegal/lobby/extra",
                 "/static/shared/nosuch.css", "/nosuch"):  # fmt: skip
        r = await server.http.get(path, headers=BROWSER)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), (path, r.text)
        assert "<h1>Halaman tidak ditemukan</h1>" in r.text and '<h2 lang="en">Page not found</h2>' in r.text, path
        assert r.text.index("Halaman tidak ditemukan</h1>") < r.text.index("Page not found</h2>"), "Indonesian first"
        assert f"<code>{path}</code>" in r.text, path
        # the pages' policy: every asset from this server, no script at all on this page
        assert r.headers["content-security-policy"].startswith("default-src 'self';"), path
        assert '<link rel="stylesheet" href="/static/shared/error-page.css">' in r.text and "<script" not in r.text
    css = await server.http.get("/static/shared/error-page.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


async def test_the_address_is_escaped_and_cut(server: Server) -> None:
    r = await server.http.get("/nope<script>alert(1)</script>" + "x" * 400, headers=BROWSER)
    assert r.status_code == 404
    assert "<script>" not in r.text and "<code>/nope&lt;script&gt;alert(1)&lt;/script&gt;xxx" in r.text
    assert "x" * 200 not in r.text, "the address is repeated up to 200 characters"


async def test_a_mall_the_server_has_gets_its_pages_as_links_and_never_its_kiosk(server: Server) -> None:
    r = await server.http.get("/supervisor/tegal/laporan", headers=BROWSER)
    assert r.status_code == 404 and "MPP Kabupaten Tegal. Halaman MPP ini:" in r.text
    assert links_of(r.text) == ["/booking/tegal", "/counter/tegal", "/desk/tegal", "/supervisor/tegal", "/"]
    mistyped = await server.http.get("/kios/tegal", headers=BROWSER)  # a page's name mistyped, the mall right
    assert links_of(mistyped.text) == links_of(r.text)
    nowhere = await server.http.get("/nosuch/page", headers=BROWSER)
    assert links_of(nowhere.text) == ["/"] and "Halaman MPP ini" not in nowhere.text


async def test_a_mall_only_mirrored_here_links_its_dashboard_alone(tmp_path: Path) -> None:
    async with running_server(tmp_path / "mirror.sqlite3", mirrored=["tegal"]) as mirror:
        r = await mirror.http.get("/supervisor/tegal/nosuch", headers=BROWSER)
        assert r.status_code == 404 and links_of(r.text) == ["/supervisor/tegal", "/"]


async def test_a_mall_the_server_does_not_have_is_said_so_and_no_mall_is_named(server: Server) -> None:
    for path in UNKNOWN_MALL:
        for headers in (BROWSER, {}):  # a page's route answers a page whatever the request asks for
            r = await server.http.get(path, headers=headers)
            assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), (path, r.text)
            assert "<h1>MPP tidak dikenal di server ini</h1>" in r.text, path
            assert '<h2 lang="en">Mall not known on this server</h2>' in r.text, path
            assert "menyebut MPP <code>nosuchmall</code>" in r.text, path
            assert "tegal" not in r.text.lower(), f"{path}: names no mall this server has"
            # a kiosk's or a survey tablet's address, where a citizen may stand, links nowhere; the others link the
            # server's list of pages
            assert links_of(r.text) == ([] if path.startswith(("/kiosk/", "/survey/")) else ["/"]), path


async def test_the_known_mall_s_pages_still_list_what_it_has(server: Server) -> None:
    screen = await server.http.get("/display/tegal/nosuch")
    assert screen.status_code == 404 and "/display/tegal/lobby" in screen.text
    counter = await server.http.get("/counter/tegal/99")
    assert counter.status_code == 404 and 'href="/counter/tegal/1"' in counter.text
    survey = await server.http.get("/survey/tegal/99", headers=BROWSER)  # a tablet citizens touch: no links
    assert survey.status_code == 404 and "<h1>Halaman tidak ditemukan</h1>" in survey.text
    assert links_of(survey.text) == []


async def test_a_get_of_an_address_that_takes_only_a_post_is_a_page_for_a_browser(server: Server) -> None:
    r = await server.http.get("/citizen/api/tegal/print", headers=BROWSER)
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.headers["content-type"].startswith("text/html")
    assert "<h1>Alamat ini tidak bisa dibuka di peramban</h1>" in r.text
    assert '<h2 lang="en">This address cannot be opened in a browser</h2>' in r.text


ALLOWED = {"/api/v1/auth/login": "POST", "/citizen/api/tegal/print": "POST", "/kiosk/tegal": "GET, HEAD"}


@pytest.mark.parametrize(
    ("method", "path", "accept", "status", "error"),
    [
        ("GET", "/api/v1/nope", BROWSER["Accept"], 404,
         {"code": "not_found", "message": "Alamat /api/v1/nope tidak ditemukan.",
          "message_en": "No such path: /api/v1/nope"}),
        ("GET", "/nope", "application/json", 404,
         {"code": "not_found", "message": "Alamat /nope tidak ditemukan.", "message_en": "No such path: /nope"}),
        ("GET", "/nope", "*/*", 404,  # fetch() and scripts
         {"code": "not_found", "message": "Alamat /nope tidak ditemukan.", "message_en": "No such path: /nope"}),
        ("GET", "/api/v1/auth/login", BROWSER["Accept"], 405,
         {"code": "method_not_allowed", "message": "Metode GET tidak diizinkan untuk alamat /api/v1/auth/login.",
          "message_en": "GET is not allowed on /api/v1/auth/login"}),
        ("GET", "/citizen/api/tegal/print", "application/json", 405,
         {"code": "method_not_allowed", "message": "Metode GET tidak diizinkan untuk alamat /citizen/api/tegal/print.",
          "message_en": "GET is not allowed on /citizen/api/tegal/print"}),
        ("DELETE", "/kiosk/tegal", "application/json", 405,
         {"code": "method_not_allowed", "message": "Metode DELETE tidak diizinkan untuk alamat /kiosk/tegal.",
          "message_en": "DELETE is not allowed on /kiosk/tegal"}),
    ],
)  # fmt: skip
async def test_an_api_client_keeps_the_json_error(
    server: Server, method: str, path: str, accept: str, status: int, error: dict[str, str]
) -> None:
    r = await server.http.request(method, path, headers={"Accept": accept})
    assert r.status_code == status and r.headers["content-type"] == "application/json", r.text
    assert r.json() == {"error": error}
    # A 405 says which methods the address takes (HTTP requires it; the JSON answer had none, the page had it).
    assert r.headers.get("allow") == ALLOWED.get(path) if status == 405 else "allow" not in r.headers, r.headers


async def test_chromium_shows_the_page_styled_and_its_links_work(server: Server, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 740})  # a citizen's phone
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    answer = await page.goto(server.url + "/booking/tegal/lama")
    assert answer is not None and answer.status == 404
    assert await page.text_content("h1") == "Halaman tidak ditemukan"
    assert await page.get_attribute("html", "lang") == "id" and await page.get_attribute("h2", "lang") == "en"
    assert await page.title() == "Halaman tidak ditemukan · Page not found"
    # styled by error-page.css under the page's own Content-Security-Policy
    assert await page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(138, 28, 28)"
    assert await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") != "none"
    assert refused == []
    await page.click("text=Pesan antrean daring")
    await until(page, "() => location.pathname === '/booking/tegal' && !!document.querySelector('h1')",
                timeout_ms=30_000)  # fmt: skip
    answer = await page.goto(server.url + "/kiosk/nosuchmall")
    assert answer is not None and answer.status == 404
    assert await page.text_content("h1") == "MPP tidak dikenal di server ini"
    assert await page.locator("a").count() == 0
    answer = await page.goto(server.url + "/counter/nosuchmall/1")
    assert answer is not None and answer.status == 404
    await page.click("text=Semua halaman di server ini")
    await until(page, "() => location.pathname === '/' && document.body.textContent.includes('MPP Kabupaten Tegal')",
                timeout_ms=30_000)  # fmt: skip
    answer = await page.goto(server.url + "/citizen/api/tegal/print")
    assert answer is not None and answer.status == 405
    assert await page.text_content("h1") == "Alamat ini tidak bisa dibuka di peramban"
    await context.close()

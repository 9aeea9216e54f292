"""The display page as served: the catalogue it gets (public, scoped to the screen, nothing secret), its language,
its safety headers, and assets that are all local (the mall's LAN may have no internet)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from display.web import HERE, page_config, pages
from queue_server.settings.sitefile import DEMO_SITE, load_site
from queue_server.web.kit import readable_pair

from .helpers import Server

SITE = load_site(DEMO_SITE)


def config_of(html: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<script type="application/json" id="board-config">(.*?)</script>', html, re.S)
    assert match, "no board config in the page"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


async def test_the_page_carries_the_public_catalogue_of_its_screen(server: Server) -> None:
    r = await server.http.get("/display/tegal/lobby")
    assert r.status_code == 200
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    config = config_of(r.text)
    assert config["screen"] == {"id": "lobby", "name": "Layar lobi utama", "speaker": True}
    assert config["site"]["timezone"] == "Asia/Jakarta"
    assert len(config["scope"]["counters"]) == 26
    assert config["agencies"]["pajak"] == {"name": "Kantor Pelayanan Pajak Pratama Tegal", "short_name": "KPP Pratama",
                                           "colour": "#f9a825", "tile": "#f9a825", "ink": "#111111"}  # fmt: skip
    catalogue = json.dumps({key: value for key, value in config.items() if key != "text"})
    for secret in ("d_display", "d_kiosk", "token", "password", "operator"):
        assert secret not in catalogue

    config = config_of((await server.http.get("/display/tegal/disdukcapil")).text)
    assert config["scope"] == {"counters": ["1", "2", "3", "4"], "services": ["ktp", "kk", "akta", "kia", "pindah"]}
    assert config["screen"]["speaker"] is False
    floor = config_of((await server.http.get("/display/tegal/lantai2")).text)["scope"]["counters"]
    assert floor == ["9", "10", "11", "12", "15", "16", "17", "18", "19", "20", "23"]


@pytest.mark.parametrize(("query", "lang", "heading"), [("", "id", "Panggilan terbaru"), ("?lang=en", "en", "Now calling"),
                                                        ("?lang=xx", "id", "Panggilan terbaru")])  # fmt: skip
async def test_indonesian_first_english_on_request(server: Server, query: str, lang: str, heading: str) -> None:
    html = (await server.http.get(f"/display/tegal/lobby{query}")).text
    assert f'<html lang="{lang}" translate="no">' in html
    assert f'<h2 class="section-title">{heading}</h2>' in html
    assert config_of(html)["lang"] == lang


def test_every_sentence_exists_in_both_languages_with_standard_spelling() -> None:
    id_, en = pages.texts()["id"], pages.texts()["en"]
    assert id_.keys() == en.keys()
    words = " ".join(id_.values()).lower()
    for wrong in ("antrian", "silahkan"):  # KBBI: antrean, silakan
        assert wrong not in words


async def test_assets_are_local_and_revalidated(server: Server) -> None:
    files = [p for p in (HERE / "static").rglob("*") if p.is_file()] + list((HERE / "templates").glob("*.html"))
    assert len(files) > 10
    for path in files:
        source = path.read_text()
        assert not re.search(r"https?://|@import|fonts\.googleapis|cdn\.", source), f"{path} loads from elsewhere"
    for asset in ("js/main.js", "css/board.css"):
        r = await server.http.get(f"/static/display/{asset}")
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-cache"  # a TV picks up an upgrade on its next reload


def test_site_texts_cannot_break_out_of_the_page() -> None:
    evil = "</script><script>alert(1)</script>"
    site = replace(SITE, name=evil, running_text=evil)
    screen = site.screens["lobby"]
    html = pages.env.get_template("display.html").render(
        site=site, screen=screen, lang="id", t=pages.texts()["id"], config=page_config(site, screen, "id")
    )
    assert evil not in html
    assert config_of(html)["site"]["name"] == evil  # still shown as written, as text


def _contrast(a: str, b: str) -> float:
    def lum(c: str) -> float:
        rgb = [int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b_ = (v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_agency_is_drawn_with_ink_that_reaches_4_5_to_1() -> None:
    """The TV's main call, tile headers and prefix chips carry small text on the agency's colour: a mid-tone such
    as #00897b (4.37:1 with black, 4.32:1 with white) is darkened as the kiosk does, keeping its hue."""
    screen = next(iter(SITE.screens.values()))
    agencies = page_config(SITE, screen, "id")["agencies"]
    assert agencies["bpjs_kesehatan"]["colour"] == "#00897b" and agencies["bpjs_kesehatan"]["tile"] != "#00897b"
    for agency in agencies.values():
        assert _contrast(agency["ink"], agency["tile"]) >= 4.5, agency
    assert readable_pair("#f9a825") == ("#f9a825", "#111111")  # a light colour keeps its colour, with dark ink
    assert readable_pair("not a colour")[1] == "#ffffff"


def test_the_not_found_page_has_no_board() -> None:
    assert "board-config" not in Path(HERE / "templates" / "not_found.html").read_text()

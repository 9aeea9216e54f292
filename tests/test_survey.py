"""The satisfaction survey (SKM) and its index (IKM) of PermenPANRB 14/2017 (Peraturan Menteri PANRB Nomor 14
Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan Masyarakat Unit Penyelenggara Pelayanan Publik):

- nine elements (unsur), each answered 1-4, in the order: persyaratan; sistem, mekanisme dan prosedur; waktu
  penyelesaian; biaya/tarif; produk spesifikasi jenis pelayanan; kompetensi pelaksana; perilaku pelaksana;
  penanganan pengaduan, saran dan masukan; sarana dan prasarana;
- NRR per element = sum of its answers / number of answers; IKM = sum of NRR x 1/9 (exactly, not 0.11);
  converted IKM = IKM x 25;
- grades on the converted score: A Sangat Baik 88.31-100, B Baik 76.61-88.30, C Kurang Baik 65.00-76.60,
  D Tidak Baik 25.00-64.99.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from queue_server.domain import skm

from .helpers import KIOSK, Server, bearer

BOTH_DATABASES = True  # every test here that uses a server runs on SQLite and on PostgreSQL (conftest.py)

# The worked example of docs/supervisor.md: four respondents.
WORKED = [
    [4, 4, 3, 4, 3, 4, 4, 3, 3],
    [3, 3, 3, 4, 3, 3, 4, 2, 3],
    [4, 3, 2, 4, 3, 4, 4, 3, 3],
    [3, 3, 3, 4, 4, 3, 3, 2, 4],
]


def test_the_nine_elements_of_the_regulation_in_order() -> None:
    assert [e.name for e in skm.ELEMENTS] == [
        "Persyaratan",
        "Sistem, mekanisme dan prosedur",
        "Waktu penyelesaian",
        "Biaya/tarif",
        "Produk spesifikasi jenis pelayanan",
        "Kompetensi pelaksana",
        "Perilaku pelaksana",
        "Penanganan pengaduan, saran dan masukan",
        "Sarana dan prasarana",
    ]
    assert all(len(e.answers) == len(e.answers_en) == 4 for e in skm.ELEMENTS)


def test_worked_example_by_hand() -> None:
    result = skm.ikm(WORKED)
    assert result is not None and result.respondents == 4
    # column sums 14, 13, 11, 16, 13, 14, 15, 10, 13 over 4 answers each
    assert result.nrr == tuple(Fraction(s, 4) for s in (14, 13, 11, 16, 13, 14, 15, 10, 13))
    assert result.nrr[0] == Fraction("3.5") and result.nrr[7] == Fraction("2.5")
    # IKM = (119 / 4) x 1/9 = 119/36 = 3.30555...; x 25 = 2975/36 = 82.6388...
    assert result.ikm == Fraction(119, 36)
    assert result.converted == Fraction(2975, 36)
    assert result.score == Decimal("82.64")
    assert (result.grade.letter, result.grade.name) == ("B", "Baik")
    # The spreadsheet habit of weighting by 0.11 would give 81.8125 instead.
    assert sum(float(n) for n in result.nrr) * 0.11 * 25 == pytest.approx(81.8125)


def test_exactly_one_ninth_lets_a_perfect_score_reach_100() -> None:
    perfect = skm.ikm([[4] * 9])
    assert perfect is not None and perfect.ikm == 4 and perfect.converted == 100 and perfect.grade.letter == "A"
    assert 9 * 4 * 0.11 * 25 == pytest.approx(99.0)  # what 0.11 would have said
    worst = skm.ikm([[1] * 9])
    assert worst is not None and worst.converted == 25 and worst.grade.letter == "D"
    assert skm.ikm([]) is None


@pytest.mark.parametrize(
    ("score", "letter", "name"),
    [
        ("100", "A", "Sangat Baik"),
        ("88.31", "A", "Sangat Baik"),
        ("88.30", "B", "Baik"),
        ("88.305", "A", "Sangat Baik"),  # rounds half up to 88.31
        ("88.3049", "B", "Baik"),
        ("76.61", "B", "Baik"),
        ("76.60", "C", "Kurang Baik"),
        ("76.6049", "C", "Kurang Baik"),
        ("65.00", "C", "Kurang Baik"),
        ("64.99", "D", "Tidak Baik"),
        ("64.995", "C", "Kurang Baik"),  # 65.00 once rounded: no score falls between two bands
        ("25", "D", "Tidak Baik"),
    ],
)
def test_grade_boundaries(score: str, letter: str, name: str) -> None:
    grade = skm.grade_of(Fraction(score))
    assert (grade.letter, grade.name) == (letter, name)


def test_boundaries_reached_by_real_answers() -> None:
    # 5 respondents answering 13 in total per element: NRR 2.6 everywhere, converted exactly 65.00 -> C
    at_c = skm.from_sums([13] * 9, 5)
    assert at_c is not None and at_c.converted == 65 and at_c.grade.letter == "C"
    # one answer less in one element: 25 x 116/45 = 64.44 -> D
    below_c = skm.from_sums([12] + [13] * 8, 5)
    assert below_c is not None and below_c.score == Decimal("64.44") and below_c.grade.letter == "D"
    # 36 respondents, 993 points: 25 x 993/324 = 76.62 -> B; 992 points: 76.54 -> C
    assert skm.from_sums([111] * 3 + [110] * 6, 36).grade.letter == "B"  # type: ignore[union-attr]
    assert skm.from_sums([111] * 2 + [110] * 7, 36).grade.letter == "C"  # type: ignore[union-attr]
    # 5 respondents: 159 points -> 88.33 (A), 158 points -> 87.78 (B)
    assert skm.from_sums([18] * 6 + [17] * 3, 5).grade.letter == "A"  # type: ignore[union-attr]
    assert skm.from_sums([18] * 5 + [17] * 4, 5).grade.letter == "B"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "answers",
    [[4] * 8, [4] * 10, [0] + [4] * 8, [5] + [4] * 8, [2.5] + [4] * 8, [True] + [4] * 8, ["4"] + [4] * 8, "444444444"],
)
def test_answers_must_be_nine_whole_numbers_from_1_to_4(answers: Any) -> None:
    assert not skm.valid_answers(answers)
    with pytest.raises(ValueError, match="nine|9"):
        skm.ikm([answers])


# --- over HTTP ---------------------------------------------------------------------------------------------------


async def served_ticket(server: Server, service: str = "ktp", counter: str = "1") -> dict[str, Any]:
    op = await server.login("op-disdukcapil" if service == "ktp" else "op-polres")
    ticket = await server.issue(service)
    for command in ("open", "call_next", "finish"):
        r = await server.command(op, counter, command)
        assert r.status_code in (200, 409), r.text  # "open" twice is refused, which is fine here
    return ticket


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_en"] and error["message"] != error["message_en"]
    return error


async def responses(server: Server) -> int:
    rows = await server.ctx.storage.query("SELECT COUNT(*) FROM survey_responses")
    return int(rows[0][0])


async def test_citizen_answers_once_after_service(server: Server) -> None:
    ticket = await served_ticket(server)
    token = ticket["ticket"]["token"]
    status = (await server.http.get(f"/api/v1/tickets/{token}/survey")).json()
    assert status["can_answer"] is True and status["served"] is True and len(status["questions"]) == 9
    assert status["questions"][3]["answers"][3]["label"] == "Gratis"
    r = await server.http.post(f"/api/v1/tickets/{token}/survey", json={"answers": WORKED[0]})
    assert r.status_code == 201 and r.json()["answered"] is True
    again = await server.http.post(f"/api/v1/tickets/{token}/survey", json={"answers": WORKED[1]})
    error_of(again, 409, "survey_already_answered")
    assert (await server.http.get(f"/api/v1/tickets/{token}/survey")).json()["can_answer"] is False
    rows = await server.ctx.storage.query("SELECT answers, channel, service, counter FROM survey_responses")
    assert rows == [(json.dumps(WORKED[0]), "phone", "ktp", "1")]


async def test_survey_refusals_change_nothing(server: Server) -> None:
    waiting = await server.issue("ktp")
    served = await served_ticket(server, "skck", "5")
    url = f"/api/v1/tickets/{served['ticket']['token']}/survey"
    error_of(await server.http.post("/api/v1/tickets/no-such-ticket-token/survey", json={"answers": [4] * 9}),
             404, "unknown_ticket")  # fmt: skip
    error_of(await server.http.get("/api/v1/tickets/no-such-ticket-token/survey"), 404, "unknown_ticket")
    error = error_of(await server.http.post(f"/api/v1/tickets/{waiting['ticket']['token']}/survey",
                                            json={"answers": [4] * 9}), 409, "survey_not_allowed")  # fmt: skip
    assert error["details"]["found"] == "waiting"
    bad_bodies = [
        {"answers": [4] * 8},
        {"answers": [4] * 10},
        {"answers": [5] + [4] * 8},
        {"answers": [4] * 8 + [0]},
        {"answers": [2.5] + [4] * 8},
        {"answers": [True] + [4] * 8},
        {"answers": ["4"] + [4] * 8},
        {"answers": None},
        {"answers": {"persyaratan": 4}},
        {},
        {"answers": [4] * 9, "name": "Budi"},
    ]
    for body in bad_bodies:
        error_of(await server.http.post(url, json=body), 422, "invalid_field")
    out_of_range = error_of(await server.http.post(url, json={"answers": [4, 4, 4, 4, 4, 4, 4, 7, 4]}), 422,
                            "invalid_field")  # fmt: skip
    assert out_of_range["details"] == {"field": "answers", "index": 7}
    assert "Penanganan pengaduan" in out_of_range["message"]
    error_of(await server.http.post(url, content=b"{not json", headers={"content-type": "application/json"}),
             400, "malformed_json")  # fmt: skip
    error_of(await server.http.post(url, content=b"answers=4", headers={"content-type": "text/plain"}),
             415, "unsupported_media_type")  # fmt: skip
    assert await responses(server) == 0
    assert (await server.http.post(url, json={"answers": [1] * 9})).status_code == 201
    assert await responses(server) == 1


async def test_counter_tablet_path_is_for_the_agency_staff(server: Server) -> None:
    ticket = await served_ticket(server)
    ticket_id = ticket["ticket"]["id"]
    url = f"/api/v1/sites/tegal/tickets/{ticket_id}/survey"
    body = {"answers": WORKED[2]}
    error_of(await server.http.post(url, json=body), 401, "unauthenticated")
    error_of(await server.http.post(url, json=body, headers=bearer(KIOSK)), 403, "forbidden")
    error_of(await server.http.post(url, json=body, headers=await server.login("op-polres")), 403, "not_your_agency")
    error_of(await server.http.post("/api/v1/sites/tegal/tickets/nope/survey", json=body,
                                    headers=await server.login("supervisor")), 404, "unknown_ticket")  # fmt: skip
    assert await responses(server) == 0
    r = await server.http.post(url, json=body, headers=await server.login("op-disdukcapil"))
    assert r.status_code == 201
    # the citizen's phone cannot answer a second time for the same ticket
    error_of(await server.http.post(f"/api/v1/tickets/{ticket['ticket']['token']}/survey", json=body),
             409, "survey_already_answered")  # fmt: skip
    rows = await server.ctx.storage.query("SELECT channel FROM survey_responses")
    assert rows == [("tablet",)]


async def test_ikm_over_http_matches_the_worked_example(server: Server) -> None:
    for answers in WORKED:
        ticket = await served_ticket(server)
        r = await server.http.post(f"/api/v1/tickets/{ticket['ticket']['token']}/survey", json={"answers": answers})
        assert r.status_code == 201
    skck = await served_ticket(server, "skck", "5")
    await server.http.post(f"/api/v1/tickets/{skck['ticket']['token']}/survey", json={"answers": [4] * 9})
    sup = await server.login("supervisor")
    data = (await server.http.get("/api/v1/sites/tegal/ikm?agency=disdukcapil", headers=sup)).json()
    index = data["site_index"]
    assert index["respondents"] == 4 and index["ikm_exact"] == "119/36" and index["converted_exact"] == "2975/36"
    assert index["score"] == 82.64 and index["grade"]["letter"] == "B" and index["grade"]["name"] == "Baik"
    assert index["nrr"][0] == 3.5 and index["nrr_exact"][7] == "5/2"
    assert [r["id"] for r in data["by_service"]] == ["ktp"]
    whole = (await server.http.get("/api/v1/sites/tegal/ikm", headers=sup)).json()
    assert whole["site_index"]["respondents"] == 5
    assert {r["id"]: r["score"] for r in whole["by_agency"]} == {"disdukcapil": 82.64, "polres": 100.0}
    r = await server.http.get("/api/v1/sites/tegal/ikm.csv", headers=sup)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("level,id,name,respondents,nrr_persyaratan")
    assert (
        "agency,disdukcapil,Disdukcapil,4,3.5000,3.2500,2.7500,4.0000,3.2500,3.5000,3.7500,2.5000,3.2500,3.3056,82.64,B,Baik,"
        "4,4,1" in lines
    )
    empty = (await server.http.get("/api/v1/sites/tegal/ikm?from=2026-01-01&to=2026-01-31", headers=sup)).json()
    assert empty["site_index"] == {
        "respondents": 0,
        "nrr": None,
        "ikm": None,
        "score": None,
        "grade": None,
        "population": 0,
        "sample_needed": 0,
        "sample_sufficient": False,
    }


async def test_answers_are_taken_for_survey_days_after_the_service_then_refused(server: Server) -> None:
    """A ticket of 29 November answering on 1 December would change November's index after the fact; past the
    window (survey_days, 7 by default) the answer is refused in both languages and nothing is stored."""
    early, late = await served_ticket(server), await served_ticket(server)
    server.clock.advance(days=7)  # exactly 7 days after: still in time
    r = await server.http.post(f"/api/v1/tickets/{early['ticket']['token']}/survey", json={"answers": [4] * 9})
    assert r.status_code == 201, r.text
    server.clock.advance(minutes=1)
    url = f"/api/v1/tickets/{late['ticket']['token']}/survey"
    status = (await server.http.get(url)).json()
    assert (status["can_answer"], status["too_late"], status["served"]) == (False, True, True)
    error = error_of(await server.http.post(url, json={"answers": [4] * 9}), 409, "survey_too_late")
    assert "7 hari" in error["message"] and "7 days" in error["message_en"] and error["details"]["days"] == 7
    tablet = f"/api/v1/sites/tegal/tickets/{late['ticket']['id']}/survey"
    r = await server.http.post(tablet, json={"answers": [4] * 9}, headers=await server.login("op-disdukcapil"))
    error_of(r, 409, "survey_too_late")
    assert await responses(server) == 1


async def test_an_index_below_the_regulation_s_sample_is_marked(server: Server) -> None:
    """Four citizens served, one answer: the index is shown against the four, with the sample the Krejcie-Morgan
    table asks for (4 of 4), and marked as too small; once all four answered it is not."""
    tickets = [await served_ticket(server) for _ in range(4)]
    sup = await server.login("supervisor")
    for count, ticket in enumerate(tickets, start=1):
        r = await server.http.post(f"/api/v1/tickets/{ticket['ticket']['token']}/survey", json={"answers": [4] * 9})
        assert r.status_code == 201
        index = (await server.http.get("/api/v1/sites/tegal/ikm", headers=sup)).json()
        ktp = next(r for r in index["by_service"] if r["id"] == "ktp")
        for view in (index["site_index"], ktp):
            assert (view["respondents"], view["population"], view["sample_needed"]) == (count, 4, 4)
            assert view["sample_sufficient"] is (count == 4)


@pytest.mark.parametrize(
    ("population", "sample"),
    [(0, 0), (1, 1), (10, 10), (15, 14), (50, 44), (100, 80), (150, 108), (300, 169), (1000, 278), (2000, 322),
     (5000, 357), (10000, 370), (50000, 381), (100000, 384), (1000000, 384)],
)  # fmt: skip
def test_the_sample_size_follows_the_krejcie_morgan_table(population: int, sample: int) -> None:
    assert skm.sample_needed(population) == sample

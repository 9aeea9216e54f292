"""The public satisfaction survey (Survei Kepuasan Masyarakat, SKM) and its index (IKM), as PermenPANRB 14/2017
sets them: nine elements (unsur) answered 1-4, one weighted average, four grades. Exact arithmetic throughout.

- NRR per element  = sum of the answers to that element / number of answers to it
- IKM              = sum over the nine elements of NRR x 1/9   (range 1-4)
- converted IKM    = IKM x 25                                   (range 25-100)
- grade            = read off the converted IKM, rounded to two decimals as the regulation's table prints it:
  A "Sangat Baik" 88.31-100, B "Baik" 76.61-88.30, C "Kurang Baik" 65.00-76.60, D "Tidak Baik" 25.00-64.99.

The weight is exactly 1/9 (a Fraction): the rounded 0.11 of many spreadsheets would cap a perfect score at 99.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ANSWER_MIN = 1
ANSWER_MAX = 4
WEIGHT = Fraction(1, 9)
CONVERSION = 25


@dataclass(frozen=True)
class Element:
    """One unsur of the survey, with the question and answer scale of the regulation's sample questionnaire."""

    id: str
    name: str
    name_en: str
    question: str
    question_en: str
    answers: tuple[str, str, str, str]  # what 1, 2, 3 and 4 mean, in Indonesian
    answers_en: tuple[str, str, str, str]


# The nine elements in the regulation's order (PermenPANRB 14/2017, Lampiran, unsur a-i).
ELEMENTS: tuple[Element, ...] = (
    Element(
        "persyaratan", "Persyaratan", "Requirements",
        "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
        "How well do the requirements fit the service?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
        ("Not suitable", "Somewhat unsuitable", "Suitable", "Very suitable"),
    ),
    Element(
        "prosedur", "Sistem, mekanisme dan prosedur", "System, mechanism and procedure",
        "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
        "How easy is the procedure of this service?",
        ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
        ("Not easy", "Somewhat difficult", "Easy", "Very easy"),
    ),
    Element(
        "waktu", "Waktu penyelesaian", "Completion time",
        "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
        "How fast was the service?",
        ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
        ("Not fast", "Somewhat slow", "Fast", "Very fast"),
    ),
    Element(
        "biaya", "Biaya/tarif", "Cost/fee",
        "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
        "How fair is the cost or fee of the service?",
        ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
        ("Very expensive", "Fairly expensive", "Cheap", "Free"),
    ),
    Element(
        "produk", "Produk spesifikasi jenis pelayanan", "Service product specification",
        "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar "
        "pelayanan dengan hasil yang diberikan?",
        "How well does what you received match the published service standard?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
        ("Not matching", "Somewhat matching", "Matching", "Fully matching"),
    ),
    Element(
        "kompetensi", "Kompetensi pelaksana", "Staff competence",
        "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
        "How competent were the staff?",
        ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
        ("Not competent", "Somewhat competent", "Competent", "Very competent"),
    ),
    Element(
        "perilaku", "Perilaku pelaksana", "Staff conduct",
        "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
        "How polite and friendly were the staff?",
        ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"),
        ("Not polite", "Somewhat polite", "Polite and friendly", "Very polite and friendly"),
    ),
    Element(
        "pengaduan", "Penanganan pengaduan, saran dan masukan", "Handling of complaints and suggestions",
        "Bagaimana pendapat Saudara tentang penanganan pengaduan, saran dan masukan pengguna layanan?",
        "How are complaints and suggestions handled?",
        ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
        ("None", "Exists but does not work", "Works, not fully", "Well managed"),
    ),
    Element(
        "sarana", "Sarana dan prasarana", "Facilities and infrastructure",
        "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
        "How good are the facilities?",
        ("Buruk", "Cukup", "Baik", "Sangat baik"),
        ("Poor", "Fair", "Good", "Very good"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Grade:
    letter: str
    name: str  # the regulation's Indonesian name
    name_en: str
    low: Decimal  # lowest converted score of the band, two decimals
    high: Decimal


# Highest band first; a rounded score belongs to the first band whose lower bound it reaches.
GRADES: tuple[Grade, ...] = (
    Grade("A", "Sangat Baik", "Very good", Decimal("88.31"), Decimal("100.00")),
    Grade("B", "Baik", "Good", Decimal("76.61"), Decimal("88.30")),
    Grade("C", "Kurang Baik", "Not good", Decimal("65.00"), Decimal("76.60")),
    Grade("D", "Tidak Baik", "Poor", Decimal("25.00"), Decimal("64.99")),
)


@dataclass(frozen=True)
class IkmResult:
    respondents: int
    nrr: tuple[Fraction, ...]  # per element, in the order of ELEMENTS
    ikm: Fraction  # 1-4
    converted: Fraction  # 25-100, exact
    score: Decimal  # converted, rounded half up to two decimals (what is published)
    grade: Grade


def valid_answers(answers: object) -> bool:
    """Nine whole numbers from 1 to 4 (booleans are not numbers here)."""
    return (
        isinstance(answers, list | tuple)
        and len(answers) == len(ELEMENTS)
        and all(type(a) is int and ANSWER_MIN <= a <= ANSWER_MAX for a in answers)
    )


def rounded(converted: Fraction) -> Decimal:
    """Two decimals, half up: 88.305 becomes 88.31 (Decimal of an exact quotient, so no binary-float surprises)."""
    exact = Decimal(converted.numerator) / Decimal(converted.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade_of(converted: Fraction) -> Grade:
    score = rounded(converted)
    for grade in GRADES:
        if score >= grade.low:
            return grade
    return GRADES[-1]  # below 25 cannot happen with answers of 1-4


def ikm(responses: Iterable[Sequence[int]]) -> IkmResult | None:
    """The index of a set of complete responses (nine answers each); None when there are none."""
    sums = [0] * len(ELEMENTS)
    count = 0
    for answers in responses:
        if not valid_answers(answers):
            raise ValueError(f"a response needs {len(ELEMENTS)} answers from {ANSWER_MIN} to {ANSWER_MAX}: {answers!r}")
        count += 1
        for i, answer in enumerate(answers):
            sums[i] += answer
    return from_sums(sums, count)


def from_sums(sums: Sequence[int], count: int) -> IkmResult | None:
    """The same index from per-element sums (what a database SUM gives) and the number of respondents."""
    if count == 0:
        return None
    nrr = tuple(Fraction(total, count) for total in sums)
    index = sum((value * WEIGHT for value in nrr), Fraction(0))
    converted = index * CONVERSION
    return IkmResult(count, nrr, index, converted, rounded(converted), grade_of(converted))


# --- the sample a population needs (PermenPANRB 14/2017, its Krejcie-Morgan table) ------------------------------

# Krejcie and Morgan (1970): s = X²·N·P(1-P) / (d²·(N-1) + X²·P(1-P)), with X² = 3.841 (one degree of freedom,
# 95 % confidence), P = 0.5 and d = 0.05. Rounded to the nearest whole it gives the regulation's table at every row
# (10 -> 10, 50 -> 44, 100 -> 80, 1,000 -> 278, 10,000 -> 370); the table ends at 384 from 100,000 citizens on.
_CHI_SQUARE = Fraction(3841, 1000)
_P_Q = Fraction(1, 4)
_MARGIN_SQUARED = Fraction(1, 400)
SAMPLE_CAP = 384
SAMPLE_CAP_FROM = 100_000


def sample_needed(population: int) -> int:
    """Respondents the regulation asks for when `population` citizens were served in the period (0 for none)."""
    if population <= 0:
        return 0
    if population >= SAMPLE_CAP_FROM:
        return SAMPLE_CAP
    exact = _CHI_SQUARE * population * _P_Q / (_MARGIN_SQUARED * (population - 1) + _CHI_SQUARE * _P_Q)
    return min(population, int(exact + Fraction(1, 2)))

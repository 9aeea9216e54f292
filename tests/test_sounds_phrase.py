import pytest

from sounds.manifest import clip_file
from sounds.phrase import (
    PAUSE,
    Phrase,
    base_vocabulary,
    needed_clips,
    normalize_word,
    parse_ticket,
    phrase_keys,
    phrase_text,
)
from sounds.words import number_words, number_words_en

BASE = {c.key for c in base_vocabulary()}


def test_default_indonesian_call() -> None:
    assert phrase_keys("A-123", "Loket 5") == [
        "nomor", "antrean", "a", "seratus", "dua", "puluh", "tiga", PAUSE, "silakan", "menuju", "loket", "lima",
    ]  # fmt: skip
    assert phrase_text("A-123", "Loket 5") == "Nomor antrean A seratus dua puluh tiga, silakan menuju loket lima"


def test_default_english_call() -> None:
    assert phrase_keys("A-123", "Loket 5", lang="en") == [
        "en/ticket", "en/number", "en/ay", "en/one", "en/hundred", "en/twenty", "en/three", PAUSE,
        "en/please", "en/go", "en/to", "en/counter", "en/five",
    ]  # fmt: skip
    assert phrase_text("A-123", "Loket 5", lang="en") == (
        "Ticket number A one hundred twenty three, please go to counter five"
    )


def test_a_recall_says_so_first() -> None:
    """A blind citizen hears that a call is a repeat (an outside review: a recall sounded exactly like the call)."""
    recall = Phrase("A-12", "Loket 1", recall=True)
    assert recall.keys() == ["panggilan", "ulang", PAUSE, *phrase_keys("A-12", "Loket 1")]
    assert recall.text() == "Panggilan ulang, nomor antrean A dua belas, silakan menuju loket satu"
    english = Phrase("A-12", "Loket 1", "en", recall=True)
    assert english.text() == "Once again, ticket number A twelve, please go to counter one"
    custom = Phrase("A-12", "Loket 1", template="{ticket} ke {counter}", recall=True)
    assert custom.text() == "Panggilan ulang, A dua belas ke loket satu"
    assert {c.key for c in needed_clips([recall, english])} <= BASE


def test_the_brief_form_is_the_number_and_the_counter() -> None:
    brief = Phrase("F-2", "Loket 6", brief=True, template="Antrean {ticket} silakan {counter}")  # not the site's
    assert brief.keys() == ["ef", "dua", PAUSE, "ke", "loket", "enam"]
    assert brief.text() == "F dua, ke loket enam"
    assert Phrase("F-2", "Loket 6", "en", brief=True).text() == "F two, counter six"
    assert Phrase("F-2", "Loket 6", zone="Lantai 2", brief=True).text() == "F dua, ke loket enam, lantai dua"
    assert Phrase("F-2", "Loket 6", brief=True, recall=True).text() == "Panggilan ulang, F dua, ke loket enam"
    assert {c.key for c in needed_clips([brief])} <= BASE


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("A-123", "a seratus dua puluh tiga"),
        ("A123", "a seratus dua puluh tiga"),
        ("a 123", "a seratus dua puluh tiga"),
        ("A-007", "a tujuh"),  # leading zeros are never spoken in whole-number reading
        ("A-000", "a nol"),
        ("AB-012", "a be dua belas"),
        ("AB-007", "a be tujuh"),
        ("7", "tujuh"),
        ("B-111", "be seratus sebelas"),
        ("C-12345", "ce satu dua tiga empat lima"),  # too long for words: read digit by digit
    ],
)
def test_ticket_number_mode(label: str, expected: str) -> None:
    keys = phrase_keys(label, "Loket 1", template="{ticket}")
    assert keys == expected.split()


@pytest.mark.parametrize(
    ("label", "expected"),
    [("A-123", "a satu dua tiga"), ("A-007", "a nol nol tujuh"), ("AB-012", "a be nol satu dua"), ("9", "sembilan")],
)
def test_ticket_digit_mode(label: str, expected: str) -> None:
    assert phrase_keys(label, "1", mode="digits", template="{ticket}") == expected.split()


def test_digit_mode_caption() -> None:
    assert phrase_text("A-123", "Loket 5", mode="digits") == "Nomor antrean A satu dua tiga, silakan menuju loket lima"


@pytest.mark.parametrize(
    ("counter", "expected_id", "expected_en"),
    [
        ("Loket 5", "loket lima", "en/counter en/five"),
        ("5", "loket lima", "en/counter en/five"),
        ("loket 12", "loket dua belas", "en/counter en/twelve"),
        ("Loket 3B", "loket tiga be", "en/counter en/three en/bee"),
        ("Loket Imigrasi 2", "loket imigrasi dua", "en/counter imigrasi en/two"),
        ("Disdukcapil", "disdukcapil", "disdukcapil"),
        ("BPJS Kesehatan 1", "bpjs kesehatan satu", "bpjs kesehatan en/one"),
    ],
)
def test_counter_names(counter: str, expected_id: str, expected_en: str) -> None:
    assert phrase_keys("A-1", counter, template="{counter}") == expected_id.split()
    assert phrase_keys("A-1", counter, lang="en", template="{counter}") == expected_en.split()


def test_agency_words_are_spoken_by_the_indonesian_voice_in_english_too() -> None:
    clips = {c.key: c for c in Phrase("A-1", "Loket Imigrasi 2", lang="en").clips()}
    assert clips["imigrasi"].lang == "id"
    assert clips["imigrasi"].text == "Imigrasi"
    assert clips["en/two"].lang == "en"
    assert phrase_text("A-1", "Loket Imigrasi 2") == "Nomor antrean A satu, silakan menuju loket Imigrasi dua"


def test_needed_clips_find_words_outside_the_vocabulary() -> None:
    phrases = [Phrase("A-1", "Loket Disdukcapil 2", lang) for lang in ("id", "en")]
    missing = [c for c in needed_clips(phrases) if c.key not in BASE]
    assert [(c.key, c.text, c.lang) for c in missing] == [("disdukcapil", "Disdukcapil", "id")]


def test_default_templates_need_only_the_base_vocabulary() -> None:
    for lang in ("id", "en"):
        for mode in ("number", "digits"):
            phrases = [
                Phrase(f"{p}-{n}", f"Loket {c}", lang, mode)
                for p in ("A", "Z", "QX")
                for n in (0, 7, 99, 9999)
                for c in (1, 40)
            ]
            assert {c.key for c in needed_clips(phrases)} <= BASE
    every_number = {w for n in range(10_000) for w in number_words(n)}
    assert every_number <= BASE
    assert {f"en/{w}" for n in range(10_000) for w in number_words_en(n)} <= BASE


def test_custom_template() -> None:
    template = "Antrean {ticket} ke {counter}."
    assert phrase_keys("A-2", "Loket 3", template=template) == ["antrean", "a", "dua", "ke", "loket", "tiga"]
    assert phrase_text("A-2", "Loket 3", template=template) == "Antrean A dua ke loket tiga"
    en = phrase_keys("A-2", "3", lang="en", template="Now serving {ticket}; {counter}")
    assert en == ["en/now", "en/serving", "en/ay", "en/two", PAUSE, "en/counter", "en/three"]


def test_pauses_only_between_words() -> None:
    assert phrase_keys("A-2", "3", template=", ,{ticket},, {counter} .") == ["a", "dua", PAUSE, "loket", "tiga"]


@pytest.mark.parametrize("template", ["Nomor {nomor}", "Nomor {ticket!r}", "Nomor {ticket:>5}", "Nomor {ticket", "{}"])
def test_bad_templates(template: str) -> None:
    with pytest.raises(ValueError, match="template"):
        phrase_keys("A-1", "1", template=template)


@pytest.mark.parametrize("label", ["", "-", "A-B-1", "12A", "A-1.5", "Ä-1"])
def test_bad_ticket_labels(label: str) -> None:
    with pytest.raises(ValueError, match="ticket label"):
        parse_ticket(label)


def test_parse_ticket() -> None:
    assert parse_ticket("AB-007") == ("AB", "007")
    assert parse_ticket("7") == ("", "7")
    assert parse_ticket("VIP") == ("VIP", "")


def test_bad_language_mode_and_counter() -> None:
    with pytest.raises(ValueError, match="language"):
        phrase_keys("A-1", "1", lang="fr")
    with pytest.raises(ValueError, match="reading mode"):
        phrase_keys("A-1", "1", mode="roman")
    with pytest.raises(ValueError, match="counter name"):
        phrase_keys("A-1", " - ")


@pytest.mark.parametrize(
    ("word", "key"),
    [("Disdukcapil", "disdukcapil"), ("SAMSAT", "samsat"), ("Café", "cafe"), ("Kantor-Pajak", "kantorpajak")],
)
def test_normalize_word(word: str, key: str) -> None:
    assert normalize_word(word) == key


def test_any_counter_name_gives_safe_clip_keys() -> None:
    for name in ["Loket 日本 1", "Loket ../../etc 2", "Loket Ünïcödé", "Loket ½", "Loket ²", "Loket ١٢"]:
        for lang in ("id", "en"):
            for key in phrase_keys("A-1", name, lang=lang):
                if key != PAUSE:
                    assert "/" not in clip_file(key).removeprefix("en/")
    assert normalize_word("日本") == normalize_word("日本")  # stable
    assert normalize_word("日本") != normalize_word("中国")

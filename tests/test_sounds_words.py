import pytest

from sounds.words import (
    LETTERS_ID,
    digit_words,
    digit_words_en,
    letter_words,
    letter_words_en,
    number_words,
    number_words_en,
)

HARD_CASES_ID = {
    0: "nol",
    10: "sepuluh",
    11: "sebelas",
    19: "sembilan belas",
    100: "seratus",
    101: "seratus satu",
    110: "seratus sepuluh",
    111: "seratus sebelas",
    999: "sembilan ratus sembilan puluh sembilan",
    1000: "seribu",
    1001: "seribu satu",
    1100: "seribu seratus",
    2024: "dua ribu dua puluh empat",
    8015: "delapan ribu lima belas",
    9999: "sembilan ribu sembilan ratus sembilan puluh sembilan",
    # and a few more that catch the usual mistakes
    1: "satu",
    12: "dua belas",
    20: "dua puluh",
    21: "dua puluh satu",
    123: "seratus dua puluh tiga",
    200: "dua ratus",
    1010: "seribu sepuluh",
    1111: "seribu seratus sebelas",
    2000: "dua ribu",
    7007: "tujuh ribu tujuh",
}

HARD_CASES_EN = {
    0: "zero",
    10: "ten",
    11: "eleven",
    19: "nineteen",
    100: "one hundred",
    101: "one hundred one",
    110: "one hundred ten",
    111: "one hundred eleven",
    999: "nine hundred ninety nine",
    1000: "one thousand",
    1001: "one thousand one",
    1100: "one thousand one hundred",
    2024: "two thousand twenty four",
    8015: "eight thousand fifteen",
    9999: "nine thousand nine hundred ninety nine",
}


@pytest.mark.parametrize(("n", "expected"), HARD_CASES_ID.items())
def test_number_words_indonesian(n: int, expected: str) -> None:
    assert number_words(n) == expected.split()


@pytest.mark.parametrize(("n", "expected"), HARD_CASES_EN.items())
def test_number_words_english(n: int, expected: str) -> None:
    assert number_words_en(n) == expected.split()


def test_se_prefix_never_satu_before_a_unit() -> None:
    for n in range(10_000):
        words = number_words(n)
        for a, b in zip(words, words[1:], strict=False):
            assert not (a == "satu" and b in {"puluh", "belas", "ratus", "ribu"}), (n, words)


@pytest.mark.parametrize("n", [-1, 10_000, 123_456])
@pytest.mark.parametrize("fn", [number_words, number_words_en])
def test_out_of_range(fn, n: int) -> None:
    with pytest.raises(ValueError, match="0 to 9999"):
        fn(n)


@pytest.mark.parametrize("bad", [True, 1.0, "12"])
def test_not_an_int(bad) -> None:
    with pytest.raises(TypeError):
        number_words(bad)


def test_digit_words_keep_zeros() -> None:
    assert digit_words("123") == ["satu", "dua", "tiga"]
    assert digit_words("007") == ["nol", "nol", "tujuh"]
    assert digit_words_en("905") == ["nine", "zero", "five"]
    for bad in ["", "12a", "-1", "١٢"]:  # Arabic-Indic digits are digits to str.isdigit, not to us
        with pytest.raises(ValueError, match="digits"):
            digit_words(bad)


def test_letter_names() -> None:
    assert "".join(f"{c}={n} " for c, n in LETTERS_ID.items()).split() == [
        "a=a", "b=be", "c=ce", "d=de", "e=e", "f=ef", "g=ge", "h=ha", "i=i", "j=je", "k=ka", "l=el", "m=em",
        "n=en", "o=o", "p=pe", "q=ki", "r=er", "s=es", "t=te", "u=u", "v=fe", "w=we", "x=eks", "y=ye", "z=zet",
    ]  # fmt: skip
    assert letter_words("AB") == ["a", "be"]
    assert letter_words("xyz") == ["eks", "ye", "zet"]
    assert letter_words_en("AWZ") == ["ay", "double-you", "zed"]
    assert len(set(letter_words_en("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))) == 26
    for bad in ["A1", "É", "A-"]:
        with pytest.raises(ValueError, match="letters A-Z"):
            letter_words(bad)

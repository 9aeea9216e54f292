"""Numbers, digits and letters as spoken words, in Indonesian and English.

Pure and stdlib-only: the announcement builder turns these words into clip keys, and the
captions use them as text. Indonesian follows KBBI: "se-" replaces "satu" before puluh,
belas, ratus and ribu (100 is "seratus", never "satu ratus"), and 11 is "sebelas".
"""

from __future__ import annotations

MAX_NUMBER = 9999

ONES_ID = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
ONES_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS_EN = (
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
TENS_EN = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

# Indonesian letter names (how a citizen spells "A B C" aloud).
LETTERS_ID = {
    "a": "a", "b": "be", "c": "ce", "d": "de", "e": "e", "f": "ef", "g": "ge", "h": "ha", "i": "i",
    "j": "je", "k": "ka", "l": "el", "m": "em", "n": "en", "o": "o", "p": "pe", "q": "ki", "r": "er",
    "s": "es", "t": "te", "u": "u", "v": "fe", "w": "we", "x": "eks", "y": "ye", "z": "zet",
}  # fmt: skip
# English letter names, spelled so that each one is a distinct, file-name-safe word.
LETTERS_EN = {
    "a": "ay", "b": "bee", "c": "see", "d": "dee", "e": "ee", "f": "ef", "g": "gee", "h": "aitch",
    "i": "eye", "j": "jay", "k": "kay", "l": "el", "m": "em", "n": "en", "o": "oh", "p": "pee",
    "q": "cue", "r": "ar", "s": "ess", "t": "tee", "u": "you", "v": "vee", "w": "double-you",
    "x": "ex", "y": "why", "z": "zed",
}  # fmt: skip


def _check_range(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number must be an int, got {type(n).__name__}")
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"can only speak whole numbers from 0 to {MAX_NUMBER}, got {n}")


def number_words(n: int) -> list[str]:
    """Indonesian words for 0..9999, e.g. 123 -> ["seratus", "dua", "puluh", "tiga"]."""
    _check_range(n)
    if n == 0:
        return ["nol"]
    words: list[str] = []
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    if thousands:
        words += ["seribu"] if thousands == 1 else [ONES_ID[thousands], "ribu"]
    if hundreds:
        words += ["seratus"] if hundreds == 1 else [ONES_ID[hundreds], "ratus"]
    tens, ones = divmod(rest, 10)
    if tens == 1:
        words += ["sepuluh"] if ones == 0 else ["sebelas"] if ones == 1 else [ONES_ID[ones], "belas"]
        return words
    if tens:
        words += [ONES_ID[tens], "puluh"]
    if ones:
        words.append(ONES_ID[ones])
    return words


def number_words_en(n: int) -> list[str]:
    """English words for 0..9999 without "and", e.g. 8015 -> ["eight", "thousand", "fifteen"]."""
    _check_range(n)
    if n == 0:
        return ["zero"]
    words: list[str] = []
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    if thousands:
        words += [ONES_EN[thousands], "thousand"]
    if hundreds:
        words += [ONES_EN[hundreds], "hundred"]
    tens, ones = divmod(rest, 10)
    if tens == 1:
        words.append(TEENS_EN[ones])
    else:
        if tens:
            words.append(TENS_EN[tens])
        if ones:
            words.append(ONES_EN[ones])
    return words


def _digits(s: str, names: tuple[str, ...]) -> list[str]:
    if not s or not all(c in "0123456789" for c in s):
        raise ValueError(f"expected a non-empty string of digits 0-9, got {s!r}")
    return [names[int(c)] for c in s]


def digit_words(s: str) -> list[str]:
    """Indonesian digit-by-digit reading; zeros are spoken: "007" -> ["nol", "nol", "tujuh"]."""
    return _digits(s, ONES_ID)


def digit_words_en(s: str) -> list[str]:
    """English digit-by-digit reading: "123" -> ["one", "two", "three"]."""
    return _digits(s, ONES_EN)


def _letters(letters: str, names: dict[str, str]) -> list[str]:
    out: list[str] = []
    for c in letters:
        name = names.get(c.lower()) if c.isascii() else None
        if name is None:
            raise ValueError(f"can only spell letters A-Z, got {c!r} in {letters!r}")
        out.append(name)
    return out


def letter_words(letters: str) -> list[str]:
    """Indonesian letter names: "AB" -> ["a", "be"]."""
    return _letters(letters, LETTERS_ID)


def letter_words_en(letters: str) -> list[str]:
    """English letter names: "AB" -> ["ay", "bee"]."""
    return _letters(letters, LETTERS_EN)

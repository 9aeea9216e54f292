"""A ticket call as an ordered list of clip keys, plus its caption text.

A clip key names one pre-rendered word: "seratus" is clips/seratus.wav, "en/hundred" is
clips/en/hundred.wav. Indonesian keys are bare, English keys live in the "en/" namespace.
Words of counter names that are not vocabulary (agency names such as "Disdukcapil") get keys
of their own and are spoken by the Indonesian voice in every language, since they are
Indonesian proper names. PAUSE (",") marks a comma pause from the template, not a clip.

Pure and stdlib-only, so the server can compute keys and captions without the TTS engine.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from . import words as w

LANGS = ("id", "en")
MODES = ("number", "digits")
PAUSE = ","
DEFAULT_TEMPLATES = {
    "id": "Nomor antrean {ticket}, silakan menuju {counter}",
    "en": "Ticket number {ticket}, please go to {counter}",
}
# A recall says so first, so that a citizen who cannot see the screen knows the call is a repeat.
RECALL_WORDS = {"id": "Panggilan ulang", "en": "Once again"}
# The short form a lobby screen says while many calls wait (docs/display.md): the number and the counter, and in
# Indonesian "ke" (to), which keeps it a sentence; the site's own template is not used for it.
BRIEF_TEMPLATES = {"id": "{ticket}, ke {counter}", "en": "{ticket}, {counter}"}
# The word for "counter" in each language; "Loket 5" is read "counter five" in English.
COUNTER_WORDS = {"id": "loket", "en": "counter"}
# The word for "floor": a counter's zone "Lantai 2" is read "lantai dua" / "floor two".
ZONE_WORDS = {"id": "lantai", "en": "floor"}
_FIELDS = frozenset({"ticket", "counter"})
_TICKET = re.compile(r"\s*([A-Za-z]*)[\s\-_./]*([0-9]*)\s*")
# Runs of ASCII digits, of other word characters, and pause punctuation. Only 0-9 count as
# digits: int() would also accept "١٢" and str.isdigit() "²", which we cannot speak.
_RUNS = re.compile(r"[0-9]+|[^\W0-9_]+|[,.;:!?]")


@dataclass(frozen=True)
class ClipSpec:
    """One clip: its key, the text the voice says, and which language's voice says it."""

    key: str
    text: str
    lang: str


@dataclass(frozen=True)
class Token:
    """One step of a phrase: a clip (or PAUSE) and how it reads in the caption."""

    key: str
    text: str
    lang: str
    caption: str

    @property
    def clip(self) -> ClipSpec:
        return ClipSpec(self.key, self.text, self.lang)


_PAUSE_TOKEN = Token(PAUSE, "", "", ",")


def normalize_word(word: str) -> str:
    """A file-name-safe key for a word: lower-case ASCII letters and digits only.

    Accents are dropped ("Café" -> "cafe"); a word with no Latin letters at all gets a
    stable hash key, so any counter name can still be rendered and cached.
    """
    ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]", "", ascii_word.lower())
    return key or "w" + hashlib.sha256(word.encode()).hexdigest()[:12]


def _key(word: str, lang: str) -> str:
    return word if lang == "id" else f"{lang}/{word}"


def _number_tokens(digits: str, lang: str, mode: str) -> list[Token]:
    if mode == "digits" or int(digits) > w.MAX_NUMBER:  # too long to say as a number: read digits
        names = w.digit_words(digits) if lang == "id" else w.digit_words_en(digits)
    else:  # int() drops leading zeros: "007" is "tujuh"
        names = w.number_words(int(digits)) if lang == "id" else w.number_words_en(int(digits))
    return [Token(_key(n, lang), n, lang, n) for n in names]


def _letter_tokens(letters: str, lang: str) -> list[Token]:
    names = w.letter_words(letters) if lang == "id" else w.letter_words_en(letters)
    # Both espeak-ng voices say a lone capital letter as its letter name ("B" -> "bé" / "bee").
    return [Token(_key(n, lang), c.upper(), lang, c.upper()) for n, c in zip(names, letters, strict=True)]


def parse_ticket(label: str) -> tuple[str, str]:
    """Split a ticket label into (letters, digits): "AB-007" -> ("AB", "007"), "7" -> ("", "7")."""
    m = _TICKET.fullmatch(label)
    if m is None or not (m[1] or m[2]):
        raise ValueError(f"cannot read ticket label {label!r}: expected letters and/or digits such as 'A-123'")
    return m[1], m[2]


def ticket_tokens(label: str, lang: str = "id", mode: str = "number") -> list[Token]:
    letters, digits = parse_ticket(label)
    tokens = _letter_tokens(letters, lang)
    if digits:
        tokens += _number_tokens(digits, lang, mode)
    return tokens


def _place_tokens(name: str, lang: str, words: dict[str, str]) -> tuple[list[Token], bool, bool]:
    """A place's name ("Loket Imigrasi 2", "Lantai 2") as tokens: digits as a number, its Indonesian keyword (loket,
    lantai) as the word of `lang`, lone letters by name, other words (proper names) by the Indonesian voice. Also
    whether the keyword was there, and whether there was nothing but numbers and lone letters."""
    tokens: list[Token] = []
    plain, keyword = True, False
    for run in _RUNS.findall(name):
        if run.isascii() and run.isdigit():
            tokens += _number_tokens(run, lang, "number")
        elif normalize_word(run) == words["id"]:
            tokens.append(Token(_key(words[lang], lang), words[lang], lang, words[lang]))
            keyword = True
        elif len(run) == 1 and run.isascii() and run.isalpha():
            tokens += _letter_tokens(run, lang)
        elif run.isalpha():
            plain = False
            tokens.append(Token(normalize_word(run), run, "id", run))
    return tokens, keyword, plain


def counter_tokens(name: str, lang: str = "id") -> list[Token]:
    """ "Loket 5" / "5" -> loket lima; "Loket Imigrasi 2" -> loket imigrasi dua."""
    tokens, has_counter_word, only_numbers_and_letters = _place_tokens(name, lang, COUNTER_WORDS)
    if not tokens:
        raise ValueError(f"counter name {name!r} has nothing to say")
    if only_numbers_and_letters and not has_counter_word:  # "5" means "Loket 5"
        word = COUNTER_WORDS[lang]
        tokens.insert(0, Token(_key(word, lang), word, lang, word))
    return tokens


def zone_tokens(zone: str, lang: str = "id") -> list[Token]:
    """ "Lantai 2" -> lantai dua / floor two; "Gedung B" -> gedung be (a word of the mall's own: Indonesian)."""
    return _place_tokens(zone, lang, ZONE_WORDS)[0]


def _template_parts(template: str) -> list[tuple[str, str | None]]:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as e:
        raise ValueError(f"bad announcement template {template!r}: {e}") from None
    for _, field, spec, conversion in parts:
        if field is not None and (field not in _FIELDS or spec or conversion):
            raise ValueError(f"bad announcement template {template!r}: only {{ticket}} and {{counter}} are allowed")
    return [(literal, field) for literal, field, _, _ in parts]


def _literal_tokens(text: str, lang: str) -> list[Token]:
    tokens: list[Token] = []
    for run in _RUNS.findall(text):
        if run.isascii() and run.isdigit():
            tokens += _number_tokens(run, lang, "number")
        elif run.isalpha():
            tokens.append(Token(_key(normalize_word(run), lang), run.lower(), lang, run))
        else:
            tokens.append(_PAUSE_TOKEN)
    return tokens


@dataclass(frozen=True)
class Phrase:
    """One call in one language: ticket label, counter name, reading mode and template; `zone` (the counter's
    floor) is said after the counter, for a screen that serves more than one floor. `recall`: said again, and the
    phrase begins with RECALL_WORDS; `brief`: the short form (BRIEF_TEMPLATES instead of the template)."""

    ticket: str
    counter: str
    lang: str = "id"
    mode: str = "number"
    template: str | None = None
    zone: str | None = None
    recall: bool = False
    brief: bool = False

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(f"unsupported announcement language {self.lang!r}; supported: {', '.join(LANGS)}")
        if self.mode not in MODES:
            raise ValueError(f"unknown reading mode {self.mode!r}; use 'number' or 'digits'")

    def template_used(self) -> str:
        if self.brief:
            template = BRIEF_TEMPLATES[self.lang]
        else:
            template = self.template if self.template is not None else DEFAULT_TEMPLATES[self.lang]
        if self.recall:  # "Panggilan ulang, nomor antrean ...": the template's first word is no longer the first
            template = f"{RECALL_WORDS[self.lang]}, {template[:1].lower()}{template[1:]}"
        return template

    def tokens(self) -> list[Token]:
        template = self.template_used()
        tokens: list[Token] = []
        for literal, field in _template_parts(template):
            tokens += _literal_tokens(literal, self.lang)
            if field == "ticket":
                tokens += ticket_tokens(self.ticket, self.lang, self.mode)
            elif field == "counter":
                tokens += counter_tokens(self.counter, self.lang)
                if self.zone:
                    tokens += [_PAUSE_TOKEN, *zone_tokens(self.zone, self.lang)]
        # A pause only makes sense between words: drop leading, trailing and repeated ones.
        out: list[Token] = []
        for t in tokens:
            if t.key != PAUSE or (out and out[-1].key != PAUSE):
                out.append(t)
        while out and out[-1].key == PAUSE:
            out.pop()
        return out

    def keys(self) -> list[str]:
        return [t.key for t in self.tokens()]

    def text(self) -> str:
        text = ""
        for t in self.tokens():
            text += t.caption if t.key == PAUSE or not text else " " + t.caption
        return text

    def clips(self) -> list[ClipSpec]:
        return needed_clips([self])


def needed_clips(phrases: Iterable[Phrase]) -> list[ClipSpec]:
    """Every clip the phrases need, each once, in first-use order (pauses excluded)."""
    seen: dict[str, ClipSpec] = {}
    for phrase in phrases:
        for t in phrase.tokens():
            if t.key != PAUSE and t.key not in seen:
                seen[t.key] = t.clip
    return list(seen.values())


def phrase_keys(
    ticket: str, counter: str, lang: str = "id", mode: str = "number", template: str | None = None
) -> list[str]:
    """Clip keys of one call, e.g. ["nomor", "antrean", "a", "seratus", ..., "loket", "lima"]."""
    return Phrase(ticket, counter, lang, mode, template).keys()


def phrase_text(ticket: str, counter: str, lang: str = "id", mode: str = "number", template: str | None = None) -> str:
    """Caption of one call, e.g. "Nomor antrean A seratus dua puluh tiga, silakan menuju loket lima"."""
    return Phrase(ticket, counter, lang, mode, template).text()


def base_vocabulary() -> list[ClipSpec]:
    """The words shipped in sounds/clips: every number word 0-9999, letter names, template words."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    id_words = [*w.ONES_ID, "sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu", "ribu"]
    id_words += ["nomor", "antrean", "silakan", "menuju", "loket", "ke", "lantai", "panggilan", "ulang"]
    en_words = [*w.ONES_EN, *w.TEENS_EN, *w.TENS_EN[2:], "hundred", "thousand"]
    en_words += ["ticket", "number", "please", "go", "to", "counter", "floor", "once", "again"]
    return [
        *(ClipSpec(word, word, "id") for word in id_words),
        *(ClipSpec(w.LETTERS_ID[c], c.upper(), "id") for c in letters),
        *(ClipSpec(f"en/{word}", word, "en") for word in en_words),
        *(ClipSpec(f"en/{w.LETTERS_EN[c]}", c.upper(), "en") for c in letters),
    ]

"""Whether a staff password will do: 8 to 200 characters, and not one a guesser tries early. The guessing is
zxcvbn's (Dropbox's estimator: common passwords, words, names, keyboard runs, dates and repeats, with the account's
own names added), not a list of our own: "password", "12345678", "bismillah" or "tegal2026" are refused, "demo-admin"
or "kopi-hujan-sepeda" pass. The login throttle (throttle.py) bounds guessing online; this bounds it for a stolen
database's hashes."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

LENGTH_MIN, LENGTH_MAX = 8, 200
SCORE_MIN = 2  # zxcvbn's 0-4: 2 is "somewhat guessable", about a million guesses or more


def weakness(password: str, own_words: Iterable[str] = ()) -> str | None:
    """None for a password that will do; else why not: "length" or "guessable"."""
    if not LENGTH_MIN <= len(password) <= LENGTH_MAX:
        return "length"
    words = [w for word in own_words if word for w in (word, *word.replace("-", " ").replace("_", " ").split())]
    words += ["mpp", "antrean", "antrian", "loket", "pelayanan", "admin", "operator", "supervisor"]
    return "guessable" if zxcvbn(password, user_inputs=words)["score"] < SCORE_MIN else None

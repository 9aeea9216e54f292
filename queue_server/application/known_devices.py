"""Browsers an account has signed in from before (OWASP's "device cookies"): the sign-in throttle's holds on an
account and on a client address (throttle.py) do not apply to them, so a guesser typing wrong passwords for an
operator's account holds back only browsers that never signed in as that operator, not the operator at their own
counter. A known browser gets its own allowance of wrong passwords for the account instead.

The cookie holds one random id per browser and, for each account (up to MAX_ACCOUNTS, a counter PC shared by a
shift), a keyed hash of the id with the account's name and its password's stored hash: the name itself is not in
it, nobody can make one without the server's key (kept in the database), and one account's proof says nothing about
another. A new password (a reset after someone else learnt the old one) voids every browser's proof for the
account: a browser that signed in with the old password, whoever's, is held like any stranger's again. It only
spares a browser the holds: the password is still checked every time. Sent only to the sign-in route (its Path).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

COOKIE = "qs_known"
PATH = "/api/v1/auth/login"
KEEP_SECONDS = 180 * 24 * 3600  # renewed at every sign-in: a browser unused for half a year is a stranger again
MAX_ACCOUNTS = 8
_PROOF_CHARS = 32  # hex: 128 bits
_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{16}}(\.[0-9a-f]{{{_PROOF_CHARS}}}){{1,{MAX_ACCOUNTS}}}")


class KnownDevices:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def device_of(self, cookie: str | None, username: str, password_hash: str | None) -> str | None:
        """This browser's id when its cookie shows it signed in as `username` before, with the password it has now
        (`password_hash`: the account's stored one; None, no such account); else None."""
        if not cookie or not _SHAPE.fullmatch(cookie) or password_hash is None:
            return None
        device, *proofs = cookie.split(".")
        mine = self._proof(device, username, password_hash)
        return device if any(hmac.compare_digest(mine, proof) for proof in proofs) else None

    def remembered(self, cookie: str | None, username: str, password_hash: str) -> str:
        """The cookie after a right password for `username`: this account first, then the others this browser knew
        (the oldest forgotten past MAX_ACCOUNTS). A missing or unreadable cookie starts a new browser id."""
        if cookie and _SHAPE.fullmatch(cookie):
            device, *proofs = cookie.split(".")
        else:
            device, proofs = secrets.token_urlsafe(12), []
        mine = self._proof(device, username, password_hash)
        kept = [mine, *(proof for proof in proofs if proof != mine)][:MAX_ACCOUNTS]
        return ".".join([device, *kept])

    def _proof(self, device: str, username: str, password_hash: str) -> str:
        message = f"{device}\x00{username.lower()}\x00{password_hash}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_PROOF_CHARS]

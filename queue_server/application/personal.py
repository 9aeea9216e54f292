"""Personal data at the edge (UU 27/2022): a NIK is checked for structure, turned into a keyed hash at once, and
never stored, logged or answered in clear; a phone number is shown only masked (and kept in clear nowhere: for
messages it is encrypted, application/notifications.py)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.id import nik as stdnum_nik

from queue_server.domain.refusal import Refusal

_PHONE = re.compile(r"^(?:\+?62|0)8[0-9]{7,11}$")
# What may stand between a number's groups: spaces, brackets, dots, a hyphen, and the dashes a phone's keyboard or a
# copied text puts there (en and em dash, minus sign).
_PHONE_SEPARATORS = re.compile(r"[\s().\-\u2010-\u2015\u2212]")
# The trunk 0 kept after the country code, as numbers are often written: "+62 (0)812 ...", "+620812...".
_TRUNK_ZERO = re.compile(r"^(\+?62)0(?=8)")


def _ascii_digits(text: str) -> str:
    """Full-width or mathematical digits ("３", "𝟑"), as a phone's keyboard may type them, as the plain digits they
    stand for: one NIK is one hash, however it was typed (they used to make another hash, and another booking)."""
    return unicodedata.normalize("NFKC", text or "")


def nik_hash(nik: str, key: bytes) -> str:
    """Validate a NIK (python-stdnum: 16 digits, PP RR SS DDMMYY NNNN, a real birth date) and return its keyed
    hash. The error says what is wrong, and never echoes the number."""
    compact = re.sub(r"[\s.-]", "", _ascii_digits(nik))
    if not compact.isascii():
        raise _invalid("invalid_nik.format")
    try:
        stdnum_nik.validate(compact)
    except InvalidLength:
        raise _invalid("invalid_nik.length") from None
    except InvalidFormat:
        raise _invalid("invalid_nik.format") from None
    except InvalidComponent:  # stdnum says the same of a wrong birth date and an unknown region
        raise _invalid("invalid_nik.birth_date" if _birth_date_wrong(compact) else "invalid_nik.region") from None
    except ValidationError:
        raise _invalid("invalid_nik.invalid") from None
    if _birth_date_wrong(compact):  # stdnum takes the day modulo 40: "99" passes as the 19th
        raise _invalid("invalid_nik.birth_date")
    if compact[12:] == "0000":
        raise _invalid("invalid_nik.serial")
    return hmac.new(key, compact.encode(), hashlib.sha256).hexdigest()


def _birth_date_wrong(compact: str) -> bool:
    """Digits 7-12 are DDMMYY, with 40 added to the day for a woman: days 01-31 and 41-71 only."""
    day = int(compact[6:8])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return True
    try:
        stdnum_nik.get_birth_date(compact)
    except InvalidComponent:
        return True
    return False


def phone_hash(phone: str, key: bytes) -> str:
    """A keyed hash of a mobile number, one per number however it is typed: how many bookings one number holds is
    counted without keeping the number (the booking keeps it masked, and encrypted only with the citizen's yes)."""
    return hmac.new(key, b"phone:" + normalise_phone(phone).encode(), hashlib.sha256).hexdigest()


def _invalid(key: str) -> Refusal:
    """`invalid_nik.<reason>`: the reason goes with the error, so a form can point at what is wrong."""
    return Refusal(key, details={"field": "nik", "reason": key.split(".", 1)[1]})


def normalise_phone(phone: str) -> str:
    """An Indonesian mobile number as gateways take it: 62812... (from 0812..., +62 812-..., 62812..., +62 (0)812...,
    with an en dash between groups)."""
    digits = _TRUNK_ZERO.sub(r"\1", _PHONE_SEPARATORS.sub("", _ascii_digits(phone)))
    if not _PHONE.match(digits):
        raise Refusal("invalid_phone", details={"field": "phone"})
    return "62" + digits[1:] if digits.startswith("0") else digits.lstrip("+")


def mask_phone(phone: str) -> str:
    """0812****6789: enough for the citizen to recognise their number, not enough to call it."""
    digits = "0" + normalise_phone(phone)[2:]
    return digits[:4] + "*" * (len(digits) - 7) + digits[-3:]

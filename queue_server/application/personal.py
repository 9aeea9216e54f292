"""Personal data at the edge (UU 27/2022): a NIK is checked for structure, turned into a keyed hash at once, and
never stored, logged or answered in clear; a phone number is kept only masked."""

from __future__ import annotations

import hashlib
import hmac
import re

from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.id import nik as stdnum_nik

from queue_server.common.errors import ApiError

_PHONE = re.compile(r"^(?:\+?62|0)8\d{7,11}$")


def nik_hash(nik: str, key: bytes) -> str:
    """Validate a NIK (python-stdnum: 16 digits, PP RR SS DDMMYY NNNN, a real birth date) and return its keyed
    hash. The error says what is wrong, and never echoes the number."""
    compact = re.sub(r"[\s.-]", "", nik or "")
    try:
        stdnum_nik.validate(compact)
    except InvalidLength:
        raise _invalid("NIK harus 16 angka.", "A NIK has 16 digits.", "length") from None
    except InvalidFormat:
        raise _invalid("NIK hanya berisi angka.", "A NIK contains digits only.", "format") from None
    except InvalidComponent:
        raise _invalid(
            "Tanggal lahir di dalam NIK (angka ke-7 sampai ke-12) tidak valid.",
            "The birth date inside the NIK (digits 7 to 12) is not valid.",
            "birth_date",
        ) from None
    except ValidationError:
        raise _invalid("NIK tidak valid.", "The NIK is not valid.", "invalid") from None
    if compact[12:] == "0000":
        raise _invalid(
            "Nomor urut NIK (4 angka terakhir) dimulai dari 0001.",
            "The serial (last 4 digits) of a NIK starts at 0001.",
            "serial",
        )
    return hmac.new(key, compact.encode(), hashlib.sha256).hexdigest()


def _invalid(message_id: str, message_en: str, reason: str) -> ApiError:
    return ApiError(422, "invalid_nik", message_id, message_en, field="nik", reason=reason)


def mask_phone(phone: str) -> str:
    """0812****6789: enough for the citizen to recognise their number, not enough to call it."""
    digits = re.sub(r"[\s().-]", "", phone or "")
    if not _PHONE.match(digits):
        raise ApiError(
            422,
            "invalid_phone",
            "Nomor ponsel harus diawali 08 atau +628 dan berisi 10-13 angka.",
            "The phone number must start with 08 or +628 and have 10-13 digits.",
            field="phone",
        )
    digits = "0" + digits.split("62", 1)[1] if not digits.startswith("0") else digits
    return digits[:4] + "*" * (len(digits) - 7) + digits[-3:]

"""Webhook signatures (docs/notifications.md): HMAC-SHA256 over the timestamp, a dot and the body, with the
endpoint's secret, sent with the message's id. A receiver recomputes it, compares in constant time, and refuses a
timestamp older than a few minutes (a replay). The scheme is that of Stripe's and the Standard Webhooks' headers, so
receivers know it."""

from __future__ import annotations

import hashlib
import hmac

ID_HEADER = "Antrean-Webhook-Id"
TIMESTAMP_HEADER = "Antrean-Webhook-Timestamp"
SIGNATURE_HEADER = "Antrean-Webhook-Signature"
TOLERANCE_SECONDS = 300  # what the documented receivers accept; a delivery is signed when it is sent


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of b"<timestamp>.<body>" under the secret."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers(message_id: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str, timestamp: str, signed: str, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """The receiver's check (also what the tests and docs use): a fresh timestamp and a matching signature."""
    try:
        at = int(timestamp)
    except ValueError:
        return False
    if abs(now - at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, at, body), signed)

"""Why a message to the WhatsApp/SMS gateway or a webhook, or the uplink to the server that mirrors the mall, failed:
its *kind* and its figures (an HTTP status, seconds, a host name), kept next to the technical text, so that a
supervisor reads the problem in words of the page's language ([delivery_problem] and [uplink_problem] of
messages.toml: what happened and what to do) while the technical text stays there for whoever fixes it.

A problem is stored as {"kind": ..., figures...} (the outbox's `last_problem`, the uplink's shared status); a row of
an earlier release has the text alone and is said as that text ("Galat teknis: ...")."""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from queue_server.common import messages

DELIVERY = "delivery_problem"
UPLINK = "uplink_problem"

# The kinds of a failed delivery (outbound/deliverer.py), as an answer or a failure to connect says them.
REDIRECTED = "redirected"  # 3xx: redirects are not followed
UNAUTHORIZED = "unauthorized"  # 401, 403
WRONG_ADDRESS = "wrong_address"  # 404, 405, 410
RATE_LIMITED = "rate_limited"  # 429
REFUSED = "refused"  # any other 4xx
RECEIVER_ERROR = "receiver_error"  # 5xx
TIMEOUT = "timeout"
CONNECTION_REFUSED = "connection_refused"
NAME_UNKNOWN = "name_unknown"
TLS = "tls"
CONNECTION_DROPPED = "connection_dropped"
UNREACHABLE = "unreachable"
ADDRESS_FORBIDDEN = "address_forbidden"  # a webhook's name leads to this machine or a link-local address
BAD_REQUEST = "bad_request"  # the HTTP client refused to make the request (a header, the address)
UNBUILDABLE = "unbuildable"  # the message itself could not be put together (a bug)
INTERNAL = "internal"  # sending it failed in this server (a bug)
DELIVERY_KINDS = (REDIRECTED, UNAUTHORIZED, WRONG_ADDRESS, RATE_LIMITED, REFUSED, RECEIVER_ERROR, TIMEOUT,
                  CONNECTION_REFUSED, NAME_UNKNOWN, TLS, CONNECTION_DROPPED, UNREACHABLE, ADDRESS_FORBIDDEN,
                  BAD_REQUEST, UNBUILDABLE, INTERNAL)  # fmt: skip
# The uplink's kinds are its own `error_kind` (outbound/uplink.py, public on /healthz): out_of_step, not_the_api,
# token_refused, not_mirrored, refused, failed, unreachable, timeout, stuck.
UPLINK_KINDS = ("out_of_step", "not_the_api", "token_refused", "not_mirrored", "refused", "failed", "unreachable",
                "timeout", "stuck")  # fmt: skip
REFUSED_STATUS = "refused_status"  # the uplink refused with a code the national view has no words for
FALLBACK = "other"  # a text without a kind (a row of an earlier release): said as the text
WAIT = "asked_to_wait"  # added when the receiver said how long to wait (Retry-After)


@dataclass(frozen=True)
class Problem:
    """One failure: its kind, its figures (status, seconds, host: nothing personal) and the technical text."""

    kind: str
    text: str
    figures: Mapping[str, int | str] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.figures}


def of_status(status: int, text: str, wait: float | None = None) -> Problem:
    """The problem of an answer that is no success (`wait`: the seconds its Retry-After asked for)."""
    if 300 <= status < 400:
        kind = REDIRECTED
    elif status in (401, 403):
        kind = UNAUTHORIZED
    elif status in (404, 405, 410):
        kind = WRONG_ADDRESS
    elif status == 429:
        kind = RATE_LIMITED
    elif status < 500:
        kind = REFUSED
    else:
        kind = RECEIVER_ERROR
    figures: dict[str, int | str] = {"status": status}
    if wait is not None:
        figures["seconds"] = round(wait)
    return Problem(kind, text, figures)


def loaded(stored: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored problem ({"kind": ..., figures}) as a dict; None for none, or one that cannot be read."""
    if stored is None:
        return None
    try:
        value = json.loads(stored) if isinstance(stored, str) else dict(stored)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) and isinstance(value.get("kind"), str) else None


def said(section: str, problem: Mapping[str, Any] | None, text: str | None) -> dict[str, str] | None:
    """The problem in each language ({"id": ..., "en": ...}), from its kind and figures; without a kind the catalogue
    knows (a row of an earlier release), the technical text itself; None without either."""
    words = messages.catalogue()[section]
    kind = problem.get("kind") if problem else None
    # A mirror's refusal by its code, in the words the national view says it with ("ditolak: ..."); a code those
    # words lack (an error of the mirror itself) by its status alone.
    reasons = messages.catalogue()["uplink_refused"].get(str((problem or {}).get("code")))
    if kind == "refused" and section == UPLINK and reasons is None:
        kind = REFUSED_STATUS
    if (
        problem is None
        or not isinstance(kind, str)
        or kind not in words
        or kind == FALLBACK
        or not _has_figures(words[kind]["id"], problem)
    ):  # a row of an earlier release, or a process of one (shared storage) that said the kind without its figures
        if not text:
            return None
        return {lang: messages.text(section, FALLBACK, lang, {"text": text.rstrip(".")}) for lang in messages.LANGUAGES}
    out = {}
    for lang in messages.LANGUAGES:
        reason = reasons[lang] if reasons else "?"
        figures = {**problem, "reason": reason}
        sentence = messages.text(section, kind, lang, figures)
        if section == DELIVERY and kind != TIMEOUT and isinstance(problem.get("seconds"), int):
            sentence += " " + messages.text(section, WAIT, lang, figures)
        out[lang] = sentence
    return out


def _has_figures(sentence: str, problem: Mapping[str, Any]) -> bool:
    """Whether the problem holds every figure its sentence names (`reason` is looked up from its code)."""
    named = {name.split(":")[0] for _, name, _, _ in string.Formatter().parse(sentence) if name}
    return all(name in problem or name == "reason" for name in named)

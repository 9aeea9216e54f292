"""Site files on several machines, told older from newer.

Several server processes on several machines may share one PostgreSQL database, each started from its own copy of
the site files. A copy's contents say nothing of its age, so the database keeps the files put into service, per site
and in order (`site_file_history`, migration 0020): each one's digest, when, and on which machine, process and path.
A process starting with a file then knows which it holds:

- `current`: the one last applied (the stored configuration descends from it): nothing to do;
- `new`: never applied here: newer than every file here, so it takes over (as a changed file always did);
- `older`: applied once, then replaced by another: a machine not yet updated. It is not applied again (it would undo
  the newer file); the stored configuration is served, and the start-up alert `site_file_older` says where and when
  the newer one was applied, so that the administrator copies it to this machine.

One older file whose document is what the site already runs (a Settings change that went back to it) changes
nothing, and is `current`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from queue_server.common.messages import format_datetime

Standing = Literal["current", "new", "older"]


@dataclass(frozen=True)
class AppliedFile:
    """One site file put into service: a row of `site_file_history`."""

    site: str
    digest: str
    version: int  # the configuration version it became (0: the first file, nothing stored yet)
    applied_at: str  # UTC ISO
    host: str  # '' for a file applied before the history was kept (seeded from the event log)
    pid: int
    path: str


def this_process(site: str, digest: str, version: int, applied_at: str, path: str) -> AppliedFile:
    """A file applied by this process, on this machine."""
    return AppliedFile(site, digest, version, applied_at, socket.gethostname(), os.getpid(), path)


def standing(digests: Sequence[str], last: str, history: Sequence[AppliedFile]) -> Standing:
    """Where a site file stands (`digests`: its digest, and its digest as older releases wrote it) against the one
    last applied (`last`: the stored configuration's file_hash) and the site's history."""
    if last in digests:
        return "current"
    applied = {row.digest for row in history}
    return "older" if applied & set(digests) else "new"


def last_applied(last: str, history: Sequence[AppliedFile]) -> AppliedFile | None:
    """The history's entry of the file last applied: its latest row (None: applied before the history was kept)."""
    rows = [row for row in history if row.digest == last]
    return rows[-1] if rows else None


def older_facts(newer: AppliedFile | None, version: int) -> dict[str, Any]:
    """What the `site_file_older` alert and its log line name: the newer file's when, where and which path, and the
    configuration version in force (JSON: the alert is shared with the other processes)."""
    if newer is None:  # applied before the history was kept, as the first file of the site: when is not known
        return {"version": version, "applied_at": None, "host": "", "path": ""}
    return {"version": version, "applied_at": newer.applied_at, "host": newer.host, "path": newer.path}


def said(facts: dict[str, Any], local: Callable[[datetime], datetime]) -> dict[str, Any]:
    """The `site_file_older` sentence's parameters in both languages (`local`: the site's time zone): when and where
    the newer file was applied, each a phrase that is left out when unknown."""
    at = datetime.fromisoformat(facts["applied_at"]) if facts.get("applied_at") else None
    host, path = facts.get("host") or "", facts.get("path") or ""
    return {
        "version": facts.get("version"),
        "when": f" pada {format_datetime(local(at), 'id')}" if at else "",
        "when_en": f" on {format_datetime(local(at), 'en')}" if at else "",
        "where": f" di mesin {host} ({path})" if host else "",
        "where_en": f" on the machine {host} ({path})" if host else "",
    }

"""The malls a server hosting several leaves out at start-up: one whose site file cannot be used, or whose day refuses
the configuration it would start with (pipeline/engine.StartRefused). The others start and serve as usual; the one
left out is said in the log, answered 503 `site_not_served` on its routes, named on /healthz, /metrics and the
national view, and runs nothing (docs/administration.md, "When the server starts"). A server hosting one mall, or
whose every mall is refused, still does not start."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from queue_server.domain.refusal import Refusal
from queue_server.settings.sitefile import ID

Reason = Literal["site_file", "day"]  # its site file cannot be used; the day refuses what it would start with

# A site file too broken to read as TOML may still say which mall it is: its `[site]` table's `id = "..."` line.
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ID_LINE = re.compile(r"""^\s*id\s*=\s*["']([^"']*)["']""")


@dataclass(frozen=True)
class LeftOut:
    site: str  # its id, as its routes name it (a file whose id cannot be read at all: its file's name)
    name: str  # the mall's name for its refusal page and the national view (its id when the file names none)
    reason: Reason
    said: str  # the log's line: the reason and what to do (the log and the national view; never /healthz)

    def refusal(self) -> Refusal:
        """What every route of the mall answers (503 site_not_served): its name, and why in general terms."""
        key = "site_not_served" if self.reason == "site_file" else "site_not_served.day"
        return Refusal(key, site=self.name, details={"site": self.site, "reason": self.reason})

    def public(self) -> dict[str, str]:
        """What /healthz says of it: the site and the kind of reason, not the sentence (it may name this machine's
        paths)."""
        return {"site": self.site, "name": self.name, "reason": self.reason}


def from_file(path: Path, document: dict[str, Any] | None, problem: str) -> LeftOut:
    """A site file refused as check-site refuses it (`problem`: its error, naming the file and each field)."""
    site, name = _identity(path, document)
    said = (
        f"site {site}: its site file is refused: {problem}. The other malls of this server start without it; it "
        f"answers 503 until the server is started again with its site file corrected (queue-server check-site {path})"
    )
    return LeftOut(site, name, "site_file", said)


def from_day(site: str, name: str, refused: str) -> LeftOut:
    """A site whose day refuses what it would start with (`refused`: StartRefused's line, which says what to do)."""
    said = f"{refused} The other malls of this server start without it; it answers 503 until then."
    return LeftOut(site, name, "day", said)


def _identity(path: Path, document: dict[str, Any] | None) -> tuple[str, str]:
    """The mall's id and name as far as the file says them: from its document, else from its `[site]` lines, else its
    file's name (a mall whose routes then cannot be told apart from a typo: the log and /healthz still name it)."""
    table = document.get("site") if isinstance(document, dict) else None
    if isinstance(table, dict):
        site, name = table.get("id"), table.get("name")
    else:
        site, name = _id_in_text(path), None
    if not isinstance(site, str) or not ID.match(site):
        site = path.stem
    if not isinstance(name, str) or not name.strip() or len(name) > 120 or "\n" in name:
        name = site
    return site, name.strip()


def _id_in_text(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    table = ""
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header:
            table = header.group(1)
            continue
        found = _ID_LINE.match(line) if table == "site" else None
        if found:
            return found.group(1)
    return None


def readable(path: Path) -> dict[str, Any] | None:
    """The file's TOML, when it is TOML at all (its id and name are then read from it)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None

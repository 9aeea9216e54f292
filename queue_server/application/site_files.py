"""What `queue-server check-site --db` and `queue-server site-history` say of site files against a database: whether
a file is the one in force, a new one (applied at the next start), or older than the one applied last, which a
server does not apply (settings/site_history.py); and each site's history of files applied."""

from __future__ import annotations

from typing import Any

from queue_server.common import messages
from queue_server.domain.catalogue import Site
from queue_server.persistence.applied_files import SiteFiles
from queue_server.settings import site_history
from queue_server.settings.sitefile import document_digest, normalised_document


def file_against_database(site: Site, document: dict[str, Any], held: SiteFiles | None) -> tuple[bool, list[str]]:
    """Whether a server started with this file would apply it or serve what is stored (False: it is older than the
    one applied last), and the lines saying so."""
    if held is None:
        return True, ["database: this site was never served there; the file is applied at the first start"]
    served = normalised_document(document)
    digests = (document_digest(served), document_digest(document))
    standing = site_history.standing(digests, held.last, held.history)
    newer = site_history.last_applied(held.last, held.history)
    if standing == "current":
        since = f", applied {_when_where(newer)}" if newer else ""
        saved = saved_since(held)
        if saved is None:
            return True, [f"database: this is the file in force (configuration version {held.version}{since})"]
        applied = [f"configuration version {newer.version}"] if newer and newer.version else []  # 0: the first
        applied.append(f"applied {_when_where(newer)}")
        return True, [f"database: this is the file applied last ({', '.join(applied)}); changed on the Settings page "
                      f"since: {saved}. Version {held.version} is in force, and a server started with this file keeps "
                      "it (the file is not applied again)"]  # fmt: skip
    if standing == "new":
        lines = [f"database: a new file, applied at the next start (it replaces configuration version "
                 f"{held.version}, unless today's tickets refuse it)"]  # fmt: skip
        if newer is not None and held.version > newer.version:  # saved on the Settings page since that file
            one = held.version == newer.version + 1
            saved = f"version {held.version}" if one else f"versions {newer.version + 1}-{held.version}"
            lines.append(
                f"  warning: configuration {saved}, saved on the Settings page since the file applied last (version "
                f"{newer.version}), {'is' if one else 'are'} undone by it: to keep {'it' if one else 'them'}, "
                'download the site file at Settings ("Unduh berkas situs"), make this file\'s changes in that one '
                "and check it again"
            )
        return True, lines
    facts = site_history.older_facts(newer, held.version)
    said = site_history.said(facts, site.local)
    return False, [
        "database: OLDER than the file applied last; a server started with it serves the stored configuration",
        f"  {messages.text('alert', 'site_file_older', 'id', said)}",
        f"  {messages.text('alert', 'site_file_older', 'en', said)}",
    ]


def history_lines(sites: dict[str, SiteFiles], only: str | None = None) -> list[str]:
    """Each site's files applied, oldest first, the one in force marked."""
    lines: list[str] = []
    for site_id, held in sorted(sites.items()):
        if only is not None and site_id != only:
            continue
        saved = saved_since(held)
        if saved is None:
            lines.append(f"{site_id}: configuration version {held.version} in force, from the site file "
                         f"{held.last[:12]}")  # fmt: skip
        else:
            lines.append(f"{site_id}: configuration version {held.version} in force, saved on the Settings page "
                         f"({saved}, since the site file {held.last[:12]} applied last)")  # fmt: skip
        if not held.history:
            lines.append("  no site file recorded (served before the history was kept)")
        last = site_history.last_applied(held.last, held.history)
        for row in sorted(held.history, key=lambda row: bool(row.applied_at)):  # when unknown: the first file
            mark = ("  <- in force" if saved is None else "  <- applied last") if row is last else ""
            lines.append(f"  {row.digest[:12]}  version {row.version:<3}  {_when_where(row)}{mark}")
    return lines


def saved_since(held: SiteFiles) -> str | None:
    """The versions saved on the Settings page since the site file applied last ("version 4", "versions 2-4"), or
    None when the version in force is that file's own."""
    newer = site_history.last_applied(held.last, held.history)
    if newer is not None:
        first = newer.version + 1
    elif held.source == "web":  # the file's version is not known (applied before the history was kept)
        first = held.version
    else:
        return None
    if first > held.version:
        return None
    return f"version {first}" if first == held.version else f"versions {first}-{held.version}"


def _when_where(row: site_history.AppliedFile | None) -> str:
    if row is None or not row.applied_at:
        return "before the history was kept"
    where = f" on {row.host} (PID {row.pid}) from {row.path}" if row.host else " (machine not recorded)"
    return f"{row.applied_at[:19].replace('T', ' ')} UTC{where}"

"""What the other server processes found amiss with a site's configuration, for every dashboard.

Some of the supervisor's alerts are about one process, not the site: a changed site file its start refused
(`site_file_waiting`), a stored configuration it cannot read (`configuration_unreadable`), a gateway it serves
without for want of a ${VARIABLE} in its environment (`messages_off`): Context.configuration_alerts_here. A
supervisor's dashboard is served by whichever process the page reached, so with several processes (PostgreSQL) each
shares its own every few seconds (application/presence.py, table `process_alerts`) and each dashboard shows the
others' too, naming the process they hold on ("Proses server mpp-app-2 (PID 4123) melaporkan: ..."): the
administrator then knows which process to restart or mend. A process that stopped said nothing for 15 seconds, and
its alerts go with its word. On SQLite (one process) there is no other process and nothing changes.
"""

from __future__ import annotations

from typing import Any


def process_label(process: str) -> str:
    """A process as its administrator finds it: its machine and PID (the key is host:pid:random, presence.py)."""
    host, _, rest = process.partition(":")
    pid = rest.partition(":")[0]
    return f"{host} (PID {pid})" if pid else process


class ProcessAlerts:
    def __init__(self) -> None:
        self._by_site: dict[str, dict[str, dict[str, Any]]] = {}  # site -> kind -> facts, `process` among them

    def seen_elsewhere(self, said: list[tuple[str, dict[str, Any]]]) -> None:
        """The other processes' word (process, {site: {kind: facts}}), replacing what was read before. A kind several
        processes raise is told once, as the first of them (by key) says it."""
        by_site: dict[str, dict[str, dict[str, Any]]] = {}
        for process, sites in sorted(said, key=lambda entry: entry[0]):
            for site, kinds in sites.items():
                for kind, facts in kinds.items():
                    by_site.setdefault(site, {}).setdefault(kind, {**facts, "process": process_label(process)})
        self._by_site = by_site

    def merged(self, site_id: str, here: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The site's configuration alerts as its dashboard shows them: this process's (`here`), and those only
        another process raises, each with the `process` it holds on."""
        return {**self._by_site.get(site_id, {}), **here}

"""The `queue-server` command: serve, demo, users, device tokens, close-day, check-site, migrate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import getpass
import json
import os
import shlex
import shutil
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from queue_server.common.lan import lan_addresses
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.settings.config import CONFIG_VARIABLE, Config
from queue_server.settings.logformat import FORMATS as FORMATS_CHOICES
from queue_server.settings.sitefile import DEMO_SITE, SiteFileError, load_site, parse_site, read_document

if TYPE_CHECKING:
    from queue_server.persistence.schema import Outcome
    from queue_server.settings.left_out import LeftOut


def build_uvicorn_config(app: Any, config: Config, *, ws: Any = None) -> Any:
    """`ws` replaces the websocket protocol (tests run the plain ASGI path with "websockets-sansio")."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from queue_server.live.wsframes import FrameWriterProtocol
    from queue_server.settings.logformat import log_config, text_config

    chosen = log_config(config.log_format, config.log_level) or text_config(LOGGING_CONFIG, config.log_level)
    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level=config.log_level,
        log_config=chosen,
        access_log=config.access_log,
        proxy_headers=True,
        forwarded_allow_ips=config.forwarded_allow_ips,  # a load balancer on another machine: its address
        lifespan="on",
        ws_per_message_deflate=False,  # about 3x less memory per connection for our small messages
        ws=ws or FrameWriterProtocol or "auto",  # one encoded frame written to every display (wsframes.py)
        ws_max_size=config.max_body_bytes,
        ws_ping_interval=None,  # the protocol has its own heartbeats, answered by every client kind
        timeout_graceful_shutdown=5,
        # An idle connection is closed by its client before the server: at uvicorn's 5 s a client keeping it 5 s too
        # (httpx: a mall box's uplink to the mirror) could send on it just as it closed, and lose the request.
        # 75 s is above the common clients' idle time and nginx's upstream keepalive (60 s).
        timeout_keep_alive=75,
    )


@contextmanager
def server_lock(
    database: Path | str, *, existing: bool = False, serving: dict[str, Any] | None = None
) -> Iterator[IO[str] | None]:
    """One server per SQLite file (persistence/lock_file.py). `existing`: the command needs the database there, and is
    refused before a lock file (or a folder) is made for one that is not (a mistyped --db)."""
    from queue_server.persistence import lock_file

    if isinstance(database, str):
        yield None
        return
    if existing and not database.is_file():
        raise SystemExit(f"error: no database at {database}")
    made = _made_here(database)[:-1]  # the folders its lock file makes, innermost last
    try:
        handle = lock_file.acquire(database, serving)
    except OSError:  # no room for the record of where it listens: the folders made for it go again
        _remove_empty(made)
        raise
    if handle is None:
        raise SystemExit(
            f"error: another queue server is using {database} (lock file {database}.lock): stop it first "
            "(systemctl stop queue-server), then run this again; only `queue-server backup` runs beside it"
        )
    try:
        yield handle
    finally:
        lock_file.release(handle, database)
        if not database.exists():  # never made (a restore refused, a first account refused): its folders go too
            _remove_empty(made)


def _remove_empty(made: list[Path]) -> None:
    """The folders made for a database never made, innermost first, while they are empty."""
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:  # not empty (something else put there meanwhile): kept, and those around it
            break


def _serve(config: Config, banner: str | None = None) -> None:
    from queue_server.persistence.schema import refuse_newer
    from queue_server.web.app import create_app
    from queue_server.web.requests import server_of

    _port_free(config)
    try:
        app = create_app(config, tune_gc=True)
        if isinstance(config.database, Path):
            refuse_newer(config.database)  # a SchemaError (a ValueError) here reads clearly; in start-up, a traceback
        else:
            asyncio.run(_migrate_postgresql(config.database))  # once, before the workers start
    except SiteFileError as exc:  # a text naming a citizen also in words, as check-site says it (the service's log)
        said = [f"error: {exc}"]
        for problem in exc.problems:
            said += [f"      {line}" for line in _personal_in_words(problem, exc.document)]
        raise SystemExit("\n".join(said)) from None
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    serving = {"pid": os.getpid(), "host": config.host, "port": config.port, "started": started}
    with server_lock(config.database, serving=serving):  # where it listens: read by `device add`
        if not config.demo:  # with the lock: never opened beside a server that already runs on this file
            _safe_to_serve(config, server_of(app).sites)
        print(banner or _serving(config, server_of(app).sites, list(server_of(app).left_out.values())), flush=True)
        if config.workers > 1:
            if config.demo:  # once, here: N workers seeding the same accounts at once would collide
                asyncio.run(_seed_demo(config))
            _serve_workers(config)
        else:
            # Held from here until uvicorn's own handler is in place (_uvicorn_server): a Ctrl+C while uvicorn and
            # its protocols load could be raised inside a weakref's callback, where Python prints it ("Exception
            # ignored in ... KeyboardInterrupt") and drops it, and the server went on to serve.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                _uvicorn_server(build_uvicorn_config(app, config)).run()
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # uvicorn failed before its handler


def _uvicorn_server(uv_config: Any) -> Any:
    """uvicorn's server, which takes a Ctrl+C held back until then as soon as its handler is in place (the start
    goes on, then stops cleanly), and whose second Ctrl+C (its "force quit") stops waiting for connections but still
    stops the application: uvicorn skipped the lifespan's shutdown then, and asyncio.run cancelled every task at
    once, the storage's close among them waiting for an answer from the writer process whose reader was cancelled
    too. The process hung for good, holding the database's lock file (an installer's walk: Ctrl+C twice)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # one pressed meanwhile arrives now
                yield

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await super().shutdown(sockets)
            if self.force_exit:  # the engine's last transaction, the writer process and the lock, as on one Ctrl+C
                await self.lifespan.shutdown()

    return Server(uv_config)


def _safe_to_serve(config: Config, sites: dict[str, Site]) -> None:
    """A real server does not start with the demo's accounts or tokens usable (their passwords are in the README),
    nor without the notification key its database's sealed numbers and secrets need."""
    from queue_server.application.demo import published_credentials
    from queue_server.outbound.vault import VaultError, checked_vault
    from queue_server.persistence.accounts import AccountStore
    from queue_server.persistence.factory import storage_for

    async def look() -> list[str]:
        storage = storage_for(config.database, synchronous=config.synchronous)
        await storage.open()
        try:
            # The notification key too: refused here in one line rather than in the start-up's traceback.
            await checked_vault(storage, config.notification_key)
            return await published_credentials(AccountStore(storage), {**sites, "tegal": load_site(DEMO_SITE)})
        finally:
            await storage.close()

    try:
        found = asyncio.run(look())
    except VaultError as exc:
        raise SystemExit(f"error: {exc}") from None
    if found:
        raise SystemExit(f"error: {_shown(config)} holds what `queue-server demo` made, whose passwords and tokens are "
                         f"published: {', '.join(found)}. Change those passwords (queue-server user passwd NAME) or "
                         "disable the accounts, revoke those tokens (queue-server device revoke ID), or give this "
                         "mall a new database")  # fmt: skip


def _port_free(config: Config) -> None:
    """Refuse at once a port another program listens on, before migrating or making keys for nothing."""
    if not config.port:
        return
    with socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a closing connection is no owner
        try:
            probe.bind((config.host, config.port))
        except OSError as exc:
            hint = {
                errno.EADDRINUSE: ": another server runs there; stop it or give another --port",
                errno.EACCES: ": a port below 1024 needs a right the server's account does not have; give a port from "
                "1024 up (8000, docs/deployment.md section 4), with a proxy in front for port 80",
                errno.EADDRNOTAVAIL: f": this machine has no address {config.host}; check --host (0.0.0.0: every "
                "address of the machine)",
            }.get(exc.errno or 0, "")
            raise SystemExit(f"error: {config.host}:{config.port} cannot be used ({exc.strerror}){hint}") from None


def _shown(config: Config) -> str:
    from queue_server.persistence import postgresql

    return postgresql.without_password(str(config.database))


async def _migrate_postgresql(dsn: str, *, force: bool = False) -> Outcome:
    """Migrations due are refused while server processes use the database (ServersRunning), unless `force`."""
    from queue_server.persistence import postgresql

    conn = await postgresql.connect(dsn, role=postgresql.MIGRATE)
    try:
        return await postgresql.migrate(conn, postgresql.without_password(dsn), force=force)
    finally:
        await conn.close()


async def _seed_demo(config: Config) -> None:
    from queue_server.application.auth import Accounts
    from queue_server.application.demo import seed_demo
    from queue_server.persistence.factory import storage_for
    from queue_server.web.app import load_sites

    storage = storage_for(config.database, synchronous=config.synchronous)
    await storage.open()
    try:
        await seed_demo(Accounts(storage, load_sites(config)), load_sites(config))
    finally:
        await storage.close()


def _serve_workers(config: Config) -> None:
    """N server processes on one port (uvicorn's supervisor: a worker that dies is started again). Each builds its
    app from the configuration passed in the environment (queue_server.web.app:app_from_environment)."""
    os.environ[CONFIG_VARIABLE] = config.to_json()
    uv = build_uvicorn_config("queue_server.web.app:app_from_environment", config)
    uv.factory = True
    uv.workers = config.workers
    sock = uv.bind_socket()
    from uvicorn.supervisors import Multiprocess

    Multiprocess(uv, sockets=[sock]).run()


def cmd_serve(args: argparse.Namespace) -> None:
    _serve(_config(args))


def _serving(config: Config, sites: dict[str, Site], left_out: list[LeftOut] | None = None) -> str:
    """What `serve` prints: each site's pages (as the demo does, without tokens), and the database (its password
    hidden). Bound to every address, the pages are named by this machine's LAN address: what a TV or a kiosk
    opens, never `localhost`, which would be the TV itself."""
    everywhere = config.host in ("0.0.0.0", "::")  # noqa: S104 - naming, not binding
    # Every interface's, not only the default route's: a mall's LAN without internet often has no default route.
    found = lan_addresses() if everywhere else []
    lan = found[0] if found else None
    base = f"http://{lan or ('localhost' if everywhere else config.host)}:{config.port}"
    lines = []
    for site in sites.values():
        if site.id in config.mirrored:
            lines.append(f"  {site.name} ({site.id}): {base}/supervisor/{site.id}  [mirrored: shown from its own "
                         "server's log]")  # fmt: skip
            continue
        lines += [
            f"  {site.name} ({site.id}): {base}/supervisor/{site.id}",
            f"    Kiosk          {base}/kiosk/{site.id}",
            *(
                f"    TV screen      {base}/display/{site.id}/{screen.id}   ({screen.name})"
                for screen in site.screens.values()
            ),
            f"    Counters       {base}/counter/{site.id}",
            f"    Booking        {base}/booking/{site.id}",
            f"    Staff desk     {base}/desk/{site.id}",
            f"    Settings       {base}/supervisor/{site.id}/admin",
        ]
    for leaving in left_out or ():  # its site file refused: the others start without it (settings/left_out.py)
        lines.append(f"  {leaving.name} ({leaving.site}): NOT SERVED, its site file is refused (the log says why); "
                     "it answers 503 until the server is started again with it corrected")  # fmt: skip
    lines += [f"  Every page     {base}/", f"  National view  {base}/national"]
    if any(site_id not in config.mirrored for site_id in sites):
        # The pairing code is the way the docs give first; the banner named only tokens (an installer's walk).
        lines.append(f"  A new TV or kiosk: open {base}/perangkat on it, then type the code it shows at "
                     'Settings, tab Perangkat, "Pasangkan dengan kode" (or: queue-server device add)')  # fmt: skip
    if config.host in ("127.0.0.1", "localhost", "::1"):  # as device add says it: a TV cannot open these pages
        lines.append(f"  Bound to {config.host} only: no TV, kiosk or counter PC can open these pages; start with "
                     "--host 0.0.0.0 for them (docs/deployment.md, section 4)")  # fmt: skip
    if everywhere:
        where = f"here {lan}" if lan else "not found here: see `ip addr`"
        if len(found) > 1:  # a box on the staff LAN and on the citizens' Wi-Fi: which one a device opens is its own
            where += f"; also {', '.join(found[1:])}, for a device on that network"
        lines.append(f"  Bound to {config.host}: TVs, kiosks and counters open this machine's LAN address ({where})")
    if config.uplink_url:
        lines.append(f"  uplink: the sites' logs go up to {config.uplink_url}")
    return "\n".join([*lines, f"  database {_shown(config)}, {config.workers} process(es)"])


def _other_malls(config: Config) -> str:
    """The malls other than the demo's that the database holds, named ("" for none): the demo's file and accounts
    must never land among them."""
    from queue_server.persistence.factory import sites_held

    return ", ".join(sorted(sites_held(config.database) - {load_site(DEMO_SITE).id}))


def _demo_database_only(config: Config) -> None:
    """The demo adds accounts and device tokens whose passwords are printed in the README: never to a real mall's
    database."""
    others = _other_malls(config)
    if others:
        raise SystemExit(f"error: {_shown(config)} holds {others}: the demo would add its accounts, "
                         "whose passwords are published, to it; give the demo a database of its own (the default "
                         "var/demo.sqlite3)")  # fmt: skip


def cmd_demo(args: argparse.Namespace) -> None:
    from queue_server.application.demo import DEMO_PASSWORD, demo_display_token, demo_kiosk_token

    # One process: the demo's messages to citizens go to its own inbox page (web/demo_inbox.py), no gateway needed.
    inbox = not getattr(args, "workers", None) or args.workers == 1
    config = _config(args, demo=True, ignore_hours=True, site_files=[DEMO_SITE], demo_inbox=inbox)
    site = load_site(DEMO_SITE)
    _demo_database_only(config)
    base = f"http://{config.host}:{config.port}"
    lines = [
        "",
        f"  {site.name} (demo) — database {config.database}",
        f"  Lobby TV       {base}/display/{site.id}/lobby#token={demo_display_token(site.id, 'lobby')}",
        f"  Kiosk          {base}/kiosk/{site.id}#token={demo_kiosk_token(site.id)}",
        f"  Counter        {base}/counter/{site.id}/1   (op-disdukcapil / {DEMO_PASSWORD['operator']})",
        f"  Supervisor     {base}/supervisor/{site.id}   (supervisor / {DEMO_PASSWORD['supervisor']})",
        f"  Settings       {base}/supervisor/{site.id}/admin   (admin / {DEMO_PASSWORD['admin']})",
        f"  National view  {base}/national   (nasional / {DEMO_PASSWORD['regional']})",
        f"  Booking        {base}/booking/{site.id}",
        f"  Staff desk     {base}/desk/{site.id}",
        *(
            [f"  Pesan WA demo  {base}/demo/whatsapp   (what citizens who leave a number receive)"]
            if config.demo_inbox
            else []
        ),  # fmt: skip
        f"  API            {base}/api/v1/sites/{site.id}   (OpenAPI: {base}/api/v1/openapi.json)",
        f"  Websocket      ws://{config.host}:{config.port}/ws",
        f"  Kiosk token    {demo_kiosk_token(site.id)}",
    ]
    for screen in site.screens.values():
        lines.append(f"  Display token  {demo_display_token(site.id, screen.id)}  ({screen.name})")
    lines += [
        f"  Accounts       admin / {DEMO_PASSWORD['admin']}, supervisor / {DEMO_PASSWORD['supervisor']},",
        f"                 op-<agency> / {DEMO_PASSWORD['operator']} (e.g. op-disdukcapil, op-polres)",
        f"  Console        counter-client {base} {site.id} 1 op-disdukcapil",
        *([f"  Uplink         the log goes up to {config.uplink_url}"] if config.uplink_url else []),
        "  Opening hours are not enforced in demo mode. Stop with Ctrl+C.",
        "",
    ]
    _serve(config, "\n".join(lines))


def _config(args: argparse.Namespace, **overrides: Any) -> Config:
    site_files = [Path(p) for p in args.site] if getattr(args, "site", None) else overrides.pop("site_files", None)
    uses_sites = args.command in ("serve", "user", "device", "webhook", "archive", "close-day", "mirror")
    try:
        config = Config.from_env(
            database=args.db if getattr(args, "db", None) else overrides.pop("database", None),
            workers=getattr(args, "workers", None),
            site_files=site_files,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            synchronous=getattr(args, "synchronous", None),
            access_log=getattr(args, "access_log", None),
            forwarded_allow_ips=getattr(args, "forwarded_allow_ips", None),
            log_format=getattr(args, "log_format", None),
            clock_start=getattr(args, "clock_start", None),
            clock_speed=getattr(args, "clock_speed", None),
            mirrored=getattr(args, "mirror", None),
            uplink_url=getattr(args, "uplink", None),
            **overrides,
        )
    except ValueError as exc:  # a wrong setting in the environment, e.g. PORT=abc
        raise SystemExit(f"error: {exc}") from None
    _a_database_file(config.database, args.command)
    if args.command != "backup":  # SQLite gives what a backup makes beside the database its owner
        _not_as_root_in(config.database)
    if site_files is None and "QUEUE_SITE_FILES" not in os.environ and uses_sites:
        _no_demo_mall_in(config)  # refused for a database of other malls: then no note that it is "using" it
        # The demo mall's file is the default: fine for trying things, a trap for a real mall's database.
        print(
            "note: no --site given: using the demo mall's site file (MPP Kabupaten Tegal); give --site FILE "
            "(or QUEUE_SITE_FILES) for your own mall",
            file=sys.stderr,
        )
    return config


def _a_database_file(database: Path | str, command: str = "") -> None:
    """--db names a SQLite database file, or one to be made: a folder is refused before anything touches it, and so is
    a file that cannot be used as it is (persistence/database_health.py: damaged, not the account's, on a read-only
    disk), said with what to do. Given a folder or a README, a command made it owner-only (mode 0700/0600: the
    database's mode), left a lock file beside it and said "OperationalError: unable to open database file"."""
    from queue_server.persistence.database_health import DatabaseUnusable, NotADatabase, look, nearest, read_only_mount

    if isinstance(database, str):
        return
    with contextlib.suppress(PermissionError):  # a folder it may not open: said by `look`, with its owner and mode
        if database.is_dir():
            raise SystemExit(f"error: {database} is a folder: --db names the database file in it, e.g. "
                             f"{database / 'queue.sqlite3'}")  # fmt: skip
    if command == "restore":  # the file it puts back in place of this one (--replace keeps this one aside) is judged
        if read_only_mount(there := nearest(database.resolve().parent)):  # but where it goes must take it
            _database_unusable(DatabaseUnusable("denied", database, f"the file system of {there} is mounted read-only"))
        return
    try:
        look(database, writes=command != "backup")  # a backup only reads it (and may run as root: _config)
    except DatabaseUnusable as problem:
        _database_unusable(problem)
    except NotADatabase as exc:
        raise SystemExit(f"error: {exc}") from None


# Exit statuses: 1 anything else refused, 2 a command line argparse refuses, 3 a day that refuses the site file
# (uvicorn's start-up failure, docs/administration.md). A database that cannot be used has its own, one per remedy
# (docs/deployment.md, "A database that cannot be used"), which a script or a unit tells apart: the unit's
# RestartPreventExitStatus stops retrying a damaged database, which only a restore mends.
EXIT_DATABASE = {"damaged": 4, "denied": 5, "full": 6}


def _database_unusable(problem: Any) -> NoReturn:
    """A database_health.DatabaseUnusable said in a sentence or two naming the file and what to do; its own exit
    status. Never a traceback, and nothing was changed (the damaged file is kept as it is, for a restore to set
    aside)."""
    from queue_server.persistence.database_health import account

    path: Path = problem.path
    if problem.kind == "damaged":
        said = (f"error: the SQLite database {path} is damaged ({problem.why}). Nothing was changed. Put the newest "
                f"backup back in its place, with the server stopped (systemctl stop queue-server): queue-server "
                f"restore BACKUP --db {path} --replace, which keeps this file aside as "
                f"{path.name}.replaced-<time> (docs/deployment.md, section 5)")  # fmt: skip
    elif problem.kind == "full":
        said = f"error: the SQLite database {path} cannot be written ({problem.why}){_disk_full_at(path)}"
    else:
        folder = path.resolve().parent
        while not folder.exists() and folder != folder.parent:  # a folder to be made: the one it would be made in
            folder = folder.parent
        if "mounted read-only" in problem.why:
            what = "Remount it read-write, or give --db a database on a writable disk"
        elif "may not make its folder" in problem.why:  # never a chown -R of the folder above (/srv)
            me = account(os.geteuid())
            what = f"Make it for the account {me} (as root: install -d -o {me} -g {me} -m 700 {path.resolve().parent})"
        else:
            try:
                owner_uid = folder.stat().st_uid
            except OSError:
                owner_uid = os.geteuid()
            me, owner = account(os.geteuid()), account(owner_uid)
            give_back = f"chown -R {me}: {folder} && chmod -R u+rwX {folder}"
            what = (
                f"Give the account {me} its files back (as root: {give_back})"
                if owner_uid in (0, os.geteuid())  # root's folder (a command run as root), or this account's own
                else f"Run it as the server's account, which owns {folder} (sudo -u {owner} queue-server ...)"
            )
        said = (f"error: the SQLite database {path} cannot be used: {problem.why}. Nothing was changed. {what} "
                "(docs/deployment.md, 'A mall on its own box')")  # fmt: skip
    print(said, file=sys.stderr, flush=True)
    raise SystemExit(EXIT_DATABASE[problem.kind])


def _not_as_root_in(database: Path | str) -> None:
    """Root refused on a database folder that belongs to another account (the server's, docs/deployment.md): what it
    made there (the lock file, a new or restored database, notify.key, archive files) would be root's, and the server,
    running as that account, would not start ("Permission denied: 'var/queue.sqlite3.lock'"; outside review: one
    `serve` by hand as root before `systemctl start` was enough)."""
    if isinstance(database, str) or os.geteuid() != 0:
        return
    place = database if database.exists() else database.resolve().parent
    while not place.exists() and place != place.parent:
        place = place.parent
    owner = place.stat().st_uid
    if owner == 0:
        return
    import pwd

    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        name = str(owner)
    raise SystemExit(
        f"error: {place} belongs to the account {name}, and this command runs as root: the files it would make there "
        f"would be root's, and the server, running as {name}, could not open them. Run it as that account: "
        f"sudo -u {name} queue-server ... (docs/deployment.md, 'A mall on its own box')"
    )


def _no_demo_mall_in(config: Config) -> None:
    """No --site: the demo mall's file stands in. Not for a database of other malls: their kiosks would all fail
    while the demo mall took their place, and commands would add demo accounts and tokens to it."""
    others = _other_malls(config)
    if others:
        raise SystemExit(f"error: no --site given, and {_shown(config)} holds {others}: give "
                         "their site files (--site FILE, repeated; or QUEUE_SITE_FILES)")  # fmt: skip


async def _with_accounts(args: argparse.Namespace, action: Any) -> Any:
    from queue_server.application.auth import Accounts
    from queue_server.persistence.factory import storage_for
    from queue_server.web.app import command_line_engine, load_sites

    config = _config(args)
    sites = load_sites(config, sends_messages=False)  # the gateway's secrets need not be in this shell
    _database_expected(config, args)
    made = _made_here(config.database)
    # A first account or device makes the database; under its lock, so no server starts on it before it is whole
    # or, the command refused (a weak password, a wrong --site-id), gone again with the folders made for it (the
    # lock's, once the database is gone).
    with server_lock(config.database) if made else contextlib.nullcontext():
        storage = storage_for(config.database, synchronous=config.synchronous)
        try:
            await storage.open()
        except BaseException:  # a full disk: the empty file made for the database goes again, as below
            with contextlib.suppress(Exception):
                await storage.close()
            if made and isinstance(config.database, Path):
                _unmade(config.database)
            raise
        try:
            # What the server serves, the Settings page's agencies and screens too: never the site files alone.
            sites = await command_line_engine(config, storage).configured_sites()
            accounts = Accounts(storage, sites)
            accounts.others_may_serve = True  # the command line changes what a running server checks
            return await action(accounts, sites, config, storage)
        except BaseException:
            with contextlib.suppress(Exception):  # a storage that never opened (a full disk) may fail to close too
                await storage.close()
            if made and isinstance(config.database, Path):
                _unmade(config.database)
            raise
        finally:
            await storage.close()


def _made_here(database: Path | str) -> list[Path]:
    """The folders a new SQLite database would make, and the file itself, innermost last; [] for one that exists
    (or PostgreSQL)."""
    if isinstance(database, str) or database.exists():
        return []
    made, place = [database], database.parent
    while not place.exists() and place != place.parent:
        made.insert(0, place)
        place = place.parent
    return made


def _unmade(database: Path) -> None:
    """A database made by a command that was then refused, removed (under its lock): an empty database left by a
    mistyped --db looked like a mall's."""
    for suffix in ("-wal", "-shm", "-journal", ""):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    print(f"note: {database} was made for this command, which was refused: removed again", file=sys.stderr)


# What the account, device and webhook commands may do on a database file that does not exist yet: the first
# accounts and devices of a new mall are made before its first start (README); a list or a change needs one.
_MAKES_A_DATABASE = {"add"}


def _database_expected(config: Config, args: argparse.Namespace) -> None:
    """A SQLite file that is not there: refused for a list or a change (a mistyped path used to answer with an empty
    list, as if every account were gone), said out loud when a first account or device makes it."""
    if not isinstance(config.database, Path) or config.database.exists():
        return
    verb = next(
        (v for v in (getattr(args, f"{what}_command", None) for what in ("user", "device", "webhook")) if v), None
    )
    if verb not in _MAKES_A_DATABASE:
        raise SystemExit(f"error: no database at {config.database} (`queue-server serve` or `migrate` makes one)")
    print(f"note: {config.database} does not exist yet: a new database is made there", file=sys.stderr)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():  # getpass would warn about echoing, in Python's words, before failing
        raise SystemExit("error: nothing was typed (no terminal?): give the password with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("error: the passwords differ")
    return first


async def _known_user(accounts: Any, username: str) -> dict[str, Any]:
    """The account a change names, or an error that says where the names are (a typo must never look done)."""
    for user in await accounts.list_users():
        if user["username"] == username:
            return dict(user)
    raise SystemExit(f"error: no user {username!r} (queue-server user list)")


def _audited_sites(user: dict[str, Any], hosted: dict[str, Site]) -> list[str]:
    """The logs a change of this account goes in: its site's; a regional account's sites'; an admin's or an account
    of every site: each hosted site's (as a throttled sign-in's, application/auth.py)."""
    if user["role"] == "regional" and user["sites"]:
        return [s for s in str(user["sites"]).split(",") if s in hosted]
    return [user["site"]] if user["site"] in hosted else list(hosted)


def cmd_user(args: argparse.Namespace) -> None:
    from queue_server.application.administration import audit_command_line

    async def action(accounts: Any, sites: Any, config: Any, storage: Any) -> None:
        async def audit(what: str, **details: Any) -> None:
            changed = await _known_user(accounts, args.username)
            await audit_command_line(accounts, _audited_sites(changed, sites), what, f"account {args.username}",
                                     **details)  # fmt: skip

        if args.user_command not in ("add", "list"):
            user = await _known_user(accounts, args.username)  # before a password is asked for nothing
        if args.user_command == "add":
            listed = _site_list(args.sites) if args.sites is not None else None
            await accounts.create_user(
                args.username,
                _password(args),
                args.role,
                site=args.site_id,
                agency=args.agency,
                display_name=args.name,
                sites=listed,
            )
            await audit("account.add", role=args.role, agency=args.agency)
            scope = f" of {', '.join(listed)}" if listed else " of every site" if args.role == "regional" else ""
            print(f"created {args.role} {args.username}{scope}")
        elif args.user_command == "passwd":
            await accounts.set_password(args.username, _password(args))
            await audit("account.password")
            print(f"password changed for {args.username}; their sessions were ended")
        elif args.user_command == "sites":
            listed = await accounts.set_sites(args.username, None if args.all else _site_list(args.sites))
            # in the logs of the sites it saw and of those it sees now
            await audit_command_line(accounts, sorted({*_audited_sites(user, sites), *(listed or sites)}),
                                     "account.sites", f"account {args.username}", sites=listed)  # fmt: skip
            print(f"{args.username} now sees {', '.join(listed) if listed else 'every site'}")
        elif args.user_command in ("disable", "enable"):
            active = args.user_command == "enable"
            if bool(user["active"]) == active:  # what was asked holds already: said, and nothing changes
                print(f"{args.username} was already {args.user_command}d")
                return
            await accounts.set_active(args.username, active)
            await audit(f"account.{args.user_command}")
            said = "disabled: signed out everywhere, signing in refused" if not active else "enabled"
            print(f"{args.username} {said}")
            if not active:
                print(*await _counters_released(storage, config, args.username, _audited_sites(user, sites)), sep="\n")
        else:
            users = await accounts.list_users()
            if not users:
                print("no accounts yet: queue-server user add NAME --role admin --site-id SITE")
            else:  # a header: "*" (every site) and "-" (no agency) read as columns, not as noise
                print(f"{'USERNAME':24} {'ROLE':11} {'SITE(S)':12} AGENCY")
            for user in users:
                where = user["sites"] if user["role"] == "regional" else user["site"]
                state = "" if user["active"] else "  (disabled)"
                print(f"{user['username']:24} {user['role']:11} {where or '*':12} {user['agency'] or '-'}{state}")

    _run_account_action(args, action)


# How long `user disable` waits for the server to close the account's counters (it takes a request within a second).
RELEASE_ANSWER_SECONDS = 30.0


async def _counters_released(storage: Any, config: Config, username: str, site_ids: list[str]) -> list[str]:
    """The counters left open under an account just disabled, closed by the running server as the Settings page's
    change closes them (application/account_releases.py), in lines to print: each counter closed and what became of
    its citizen; or, with no server to close them now, when they will be."""
    from queue_server.application import account_releases
    from queue_server.persistence.lock_file import server_record

    request = await account_releases.ask(storage, username, "disabled", site_ids)
    running = not isinstance(config.database, Path) or bool((server_record(config.database) or {}).get("running"))
    closes = f"closes the counters still open under {username}, if any, each citizen kept safe"
    if not running:
        return [f"no server runs on {_shown(config)} now: when one starts, it {closes} (audit log: counter.release)"]
    released = await account_releases.answered(storage, request, RELEASE_ANSWER_SECONDS)
    if released is None:
        return [f"no server answered within {RELEASE_ANSWER_SECONDS:g} s (is one running on {_shown(config)}?): the "
                f"first to read this database, at its next start at the latest, {closes}"]  # fmt: skip
    if not released:
        return [f"no counter was open under {username} (a counter a colleague is signed in at stays in their hands)"]
    return [str(counter["message_en"]) for counter in released]


def _site_list(text: str) -> list[str]:
    """`--sites tegal,brebes`: site ids separated by commas (Accounts.create_user checks that they exist)."""
    sites = [part.strip() for part in text.split(",") if part.strip()]
    if not sites:
        raise SystemExit("error: --sites needs site ids separated by commas, e.g. --sites tegal,brebes")
    return sites


def cmd_device(args: argparse.Namespace) -> None:
    from queue_server.application.administration import audit_command_line
    from queue_server.application.auth import token_hash

    async def action(accounts: Any, sites: Any, config: Any, storage: Any) -> None:
        if args.device_command == "add":
            token = await accounts.create_device(args.kind, args.site_id, args.name, args.screen)
            made = await accounts.store.live_device(token_hash(token))
            await audit_command_line(accounts, [args.site_id], "device.issue", f"device {made.id}", name=args.name,
                                     kind=args.kind)  # fmt: skip
            page = f"/display/{args.site_id}/{args.screen}" if args.kind == "display" else f"/kiosk/{args.site_id}"
            base, said = server_address(config)
            if args.kind == "uplink":
                print(f"uplink token for {args.name} (shown once): on the mall's server, set QUEUE_UPLINK_TOKEN to it")
                print(f"and serve with --uplink {base}; here, serve with --mirror {args.site_id}")
            else:
                print(f"{args.kind} token for {args.name} (shown once, store it on the device)")
                print(f"open on the device: {base}{page}#token={token}")
            print(*(f"  {line}" for line in said), sep="\n")
            print(token)  # last, alone: for scripts
        elif args.device_command == "revoke":
            device = await _known_device(accounts, args.id)
            if device["revoked_at"]:  # the token is refused already; its first revocation time stays
                print(f"device {args.id} ({device['name']}) was already revoked at {device['revoked_at'][:19]} UTC")
                return
            await accounts.revoke_device(args.id)
            await audit_command_line(accounts, [device["site"]], "device.revoke", f"device {args.id}",
                                     name=device["name"])  # fmt: skip
            print(f"device {args.id} ({device['name']}) revoked: refused from its next request")
        else:
            devices = await accounts.list_devices()
            if not devices:
                print("no devices yet: pair one from Settings (Perangkat), or queue-server device add")
            else:
                print(f"{'ID':4} {'KIND':8} {'SITE':12} {'SCREEN':12} {'STATE':8} NAME")
            for d in devices:
                state = "revoked" if d["revoked_at"] else "active"
                print(f"{d['id']:4} {d['kind']:8} {d['site']:12} {d['screen'] or '-':12} {state:8} {d['name']}")

    _run_account_action(args, action)


def server_address(config: Config) -> tuple[str, list[str]]:
    """The address a TV or a kiosk opens to reach the server of `config.database` (`http://192.168.1.10:8000`), and
    what it rests on, in lines for the technician: the port the server of this SQLite database listens on (it writes
    it into its lock file), else the configured port (PORT, or 8000); the host it is bound to, or this machine's LAN
    addresses. It printed `http://SERVER:PORT` for the technician to work out (outside review)."""
    from queue_server.persistence.lock_file import server_record

    record = server_record(config.database) if isinstance(config.database, Path) else None
    addresses = lan_addresses()
    said: list[str] = []
    if record is None:
        port, host = config.port, "0.0.0.0"  # noqa: S104 - naming, not binding
        chosen = "the port PORT says" if "PORT" in os.environ else "the default port"
        # A PostgreSQL database has no lock file to say where its servers listen: not "no server has run".
        on_postgresql = isinstance(config.database, str)
        why = ("the servers of a PostgreSQL database do not record where they listen" if on_postgresql
               else "no server has run on this database yet to say where it listens")  # fmt: skip
        said.append(f"{port} is {chosen}: {why}. If it will listen on another port (serve --port), or runs on "
                    "another machine or behind a load balancer, open that address instead")  # fmt: skip
    else:
        port, host = record["port"], str(record["host"])
        when = "" if record["running"] else " when it last ran"
        said.append(f"the server of this database {'listens' if record['running'] else 'listened'} on "
                    f"{host}:{port}{when} (started {record['started']})")  # fmt: skip
    if host in ("127.0.0.1", "localhost", "::1"):
        said.append(f"it listens on {host} only, which a TV or kiosk cannot reach: start it with --host 0.0.0.0 "
                    "(docs/deployment.md, section 4), then open the address above")  # fmt: skip
    elif host not in ("0.0.0.0", "::", ""):  # noqa: S104 - bound to one address: that one
        return f"http://{host}:{port}", said
    if not addresses:
        said.append("this machine has no network address yet (no cable or Wi-Fi, see `ip addr`): once it has one, "
                    "open that address in place of SERVER")  # fmt: skip
        return f"http://SERVER:{port}", said
    said.insert(0, f"{addresses[0]} is this machine's address on its LAN")
    if len(addresses) > 1:
        said.append(f"this machine's other addresses: {', '.join(addresses[1:])}: where the device is on one of "
                    f"those networks, open that one in place of {addresses[0]}")  # fmt: skip
    return f"http://{addresses[0]}:{port}", said


async def _known_device(accounts: Any, device_id: int) -> dict[str, Any]:
    """The device a change names, or an error: a mistyped id while revoking a stolen kiosk's token must not look
    done."""
    for device in await accounts.list_devices():
        if device["id"] == device_id:
            return dict(device)
    raise SystemExit(f"error: no device {device_id} (queue-server device list)")


def cmd_mirror(args: argparse.Namespace) -> None:
    """A mall whose log came up from its own server (docs/deployment.md): served by this one from now on
    (take-over, with the bookings' codes its own server handed over), or its copy here forgotten, so that its
    server sends its log again from the start (forget). At the mall's own server: hand-over."""
    if args.mirror_command == "hand-over":
        if Path(args.to).exists():
            raise SystemExit(f"error: {args.to} exists already: give another file name (nothing was written)")
        _run_account_action(args, functools.partial(_hand_over, args))
        return

    async def action(accounts: Any, sites: Any, config: Any, storage: Any) -> None:
        from datetime import UTC, datetime

        from queue_server.application.hand_over import codes_of

        site_id = args.site_id
        if site_id not in sites:
            raise ValueError(f"unknown site {site_id!r}; sites: {', '.join(sites)}")
        handed = _read_json_file(Path(args.bookings)) if getattr(args, "bookings", None) else None
        with server_lock(config.database, existing=True):  # a batch arriving meanwhile would set the copy's end again
            relayed = await storage.relayed_head(site_id)
            if not relayed:
                raise ValueError(f"site {site_id} holds no log sent up from its own server here")
            details: dict[str, Any] = {"relayed_head": relayed}
            if args.mirror_command == "take-over":
                codes = codes_of(handed, site_id, relayed, args.bookings) if handed is not None else None
                booked = len(await storage.codes_to_hand_over(site_id))  # still to be checked in, codes withheld
                if booked and codes is None and not args.without_bookings:
                    raise ValueError(
                        f"{booked} bookings of {site_id} still to be checked in were taken at its own server, whose "
                        "codes never came up here: make the hand-over file there (queue-server mirror hand-over "
                        f"--site-id {site_id} --to FILE, that server stopped) and give it here with --bookings FILE. "
                        "If that server is lost, --without-bookings takes the mall over without them (those citizens "
                        "get a ticket at the desk). Nothing was changed"
                    )
                # Its box can send nothing more (a late batch would continue a copy that is now this server's log).
                devices = await accounts.list_devices()
                details["revoked_devices"] = uplinks = [
                    d["id"] for d in devices if d["kind"] == "uplink" and d["site"] == site_id and not d["revoked_at"]
                ]
                for device_id in uplinks:
                    await accounts.revoke_device(device_id)
                taken = await storage.take_over(site_id, codes)
                if codes is not None:
                    details["codes_given"], details["codes_clashing"] = taken.given, len(taken.clashing)
            else:
                await storage.forget_copy(site_id)
            at = datetime.now(UTC).isoformat(timespec="microseconds")
            action = "site.take_over" if args.mirror_command == "take-over" else "site.copy_forgotten"
            entry = (site_id, at, "cli", "admin", action, f"site {site_id}", json.dumps(details))
            await accounts.store.audit((*entry, await storage.newest_seq(site_id)))
        if args.mirror_command == "take-over":
            print(f"{site_id} is served by this server from now on; its log came from its own server up to that "
                  f"server's event {relayed}. Uplink tokens of {site_id} revoked: {len(uplinks)}.")  # fmt: skip
            _said_codes(site_id, taken if codes is not None else None, booked)
            print(f"Next: start serve without --mirror {site_id} (and QUEUE_MIRRORED_SITES without it); add the "
                  "mall's accounts (queue-server user add) and its kiosks' and screens' tokens (queue-server device "
                  "add), and point them at this server.")  # fmt: skip
        else:
            print(f"the copy of {site_id} here is forgotten (it held the mall's log up to its event {relayed}). Start "
                  f"serve with --mirror {site_id}: the mall's server sends its log again, from the oldest event it "
                  "still holds.")  # fmt: skip

    _run_account_action(args, action)


async def _hand_over(args: argparse.Namespace, accounts: Any, sites: Any, config: Any, storage: Any) -> None:
    """At a mall's own server, stopped: its bookings' codes to a file for the server that takes it over."""
    from datetime import UTC, datetime

    from queue_server.application.hand_over import hand_over

    site_id, target = args.site_id, Path(args.to)
    if site_id not in sites:
        raise ValueError(f"unknown site {site_id!r}; sites: {', '.join(sites)}")
    with server_lock(config.database, existing=True):  # stopped: no booking is taken after the file is made
        document = await hand_over(storage, site_id, datetime.now(UTC))
        _write_private(target, json.dumps(document, indent=1) + "\n")
    print(f"wrote the codes of {len(document['codes'])} bookings of {site_id} still to be checked in to {target} "
          f"(this server's log ends at its event {document['newest_seq']}). Copy it to the server that takes the "
          f"mall over and run there: queue-server mirror take-over --site-id {site_id} --bookings FILE; then delete "
          "both copies (each code shows and cancels a citizen's booking).")  # fmt: skip


def _write_private(path: Path, text: str) -> None:
    from queue_server.persistence.private_files import new_private_file

    new_private_file(path)  # owner only before anything is in it
    path.write_text(text, encoding="utf-8")


def _read_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} cannot be read as a hand-over file ({type(exc).__name__}: {exc})") from None


def _said_codes(site_id: str, taken: Any, booked: int) -> None:
    """What became of the bookings' codes at a take-over, and what a technician does about the rest."""
    if taken is None:
        if booked:
            print(f"{booked} bookings of {site_id} still to be checked in were taken at its own server, and their "
                  "codes are not here (no --bookings file): those citizens are not found by their code; give them "
                  "a ticket at the desk.")  # fmt: skip
        return
    print(f"Codes given back to bookings taken at the mall's own server: {taken.given}.")
    if taken.clashing:
        print(f"Not given back, as another mall's booking here holds the same code: {len(taken.clashing)} "
              f"({', '.join(taken.clashing)}); those citizens get a ticket at the desk.")  # fmt: skip
    print("Delete the hand-over file now: each code in it shows and cancels a citizen's booking.")


def _run_account_action(args: argparse.Namespace, action: Any) -> None:
    try:
        asyncio.run(_with_accounts(args, action))
    except (ValueError, SiteFileError) as exc:
        raise SystemExit(f"error: {exc}") from None


def cmd_webhook(args: argparse.Namespace) -> None:
    """Webhook endpoints and deliveries from the server's machine (also: the API, docs/notifications.md). A
    running server picks the changes up within a few seconds."""

    async def action(accounts: Any, sites: Any, config: Any, storage: Any) -> None:
        from datetime import UTC, datetime

        from queue_server.application.auth import Principal
        from queue_server.application.notifications import Notifications
        from queue_server.outbound.deliverer import DeliverySettings
        from queue_server.outbound.vault import checked_vault
        from queue_server.persistence.outbox import GATEWAY

        vault = await checked_vault(storage, config.notification_key)
        outbox = Notifications(storage, vault, 0, DeliverySettings(loopback_targets=config.allow_loopback_targets))
        site = sites.get(args.site_id)
        if site is None:
            raise ValueError(f"unknown site {args.site_id!r}; sites: {', '.join(sites)}")
        # Whoever may run this on the server's machine may do what an admin may; the audit log says "cli".
        cli = Principal(kind="user", role="admin", name="cli", id=0)
        now, seq = datetime.now(UTC), storage.last_seq
        if args.webhook_command == "add":
            body = {"url": args.url, "events": [e.strip() for e in args.events.split(",") if e.strip()]}
            body |= {"agency": args.agency} if args.agency else {}
            body |= {"description": args.description} if args.description else {}
            made = await outbox.add_endpoint(cli, site, body, now, seq)
            print(f"webhook {made['endpoint']['id']} added for {site.id}: {args.url}")
            print(f"secret (shown once, give it to the receiver):\n{made['secret']}")
        elif args.webhook_command == "remove":
            await outbox.remove_endpoint(cli, site, args.id, now, seq)
            print(f"webhook {args.id} removed; its messages still waiting will not be sent")
        elif args.webhook_command == "rotate":
            made = await outbox.rotate_secret(cli, site, args.id, now, seq)
            print(f"new secret of {args.id} (shown once; the old one stops working now):\n{made['secret']}")
        elif args.webhook_command == "status":
            for row in (await outbox.status(cli, site, now))["endpoints"]:
                print(f"{row['endpoint']:16} sent {row['sent']:6}  waiting {row['pending']:5}  retrying "
                      f"{row['retrying']:5}  failed {row['dead']:5}  skipped {row['skipped']:5}  "
                      f"{row['url'] or ''}")  # fmt: skip
                if row["last_error"]:
                    print(f"{'':16} last error {row['last_error_at']}: {row['last_error']}")
                if row["outcome_unknown"]:  # a try went out with no answer read: it may have arrived
                    print(f"{'':16} outcome unknown (may have arrived): {row['outcome_unknown']}")
        elif args.webhook_command == "resend":
            endpoint = args.id == GATEWAY or args.id.startswith("wh_")
            body = {"endpoint": args.id} if endpoint else {"message": args.id}
            print(f"{(await outbox.resend(cli, site, body, now, seq))['resent']} failed messages queued again")
        else:
            for e in await outbox.endpoints(cli, site):
                state = "active" if e["active"] else "removed"
                print(f"{e['id']:16} {state:8} {e['agency'] or '*':14} {','.join(e['events'])}  {e['url']}")

    try:
        _run_account_action(args, action)
    except Refusal as exc:
        from queue_server.common.messages import english

        raise SystemExit(f"error: {english(exc)}") from None


def cmd_close_day(args: argparse.Namespace) -> None:
    """Close a day with the server stopped (a running server takes POST /api/v1/sites/{site}/close-day)."""
    from queue_server.application.actions import close_day
    from queue_server.application.auth import Accounts, Principal
    from queue_server.application.context import Context
    from queue_server.application.notifications import command_line_policy
    from queue_server.common.messages import english
    from queue_server.persistence.factory import storage_for
    from queue_server.pipeline.engine import StartRefused
    from queue_server.web.app import command_line_engine, load_sites

    config = _config(args)
    sites = load_sites(config, sends_messages=False)  # the gateway's secrets need not be in this shell
    if args.site_id not in sites:
        raise SystemExit(f"error: unknown site {args.site_id!r}; sites: {', '.join(sites)}")
    # Whoever may run this command on the server's machine may do what an admin may; the audit log says "cli".
    local_admin = Principal(kind="user", role="admin", name="cli", id=0)

    async def run() -> dict[str, Any]:
        storage = storage_for(config.database, synchronous=config.synchronous)
        await storage.open()
        engine = command_line_engine(config, storage)  # the configuration in force, counters added on the web too
        # As a server's close: the citizens it leaves waiting are told, the agencies' webhooks get the expired
        # tickets, written now and sent once a server runs (docs/notifications.md, "A closed day: who is told").
        engine.effects = await command_line_policy(storage)
        try:
            await engine.start()
            sites, hub = engine.sites, engine.hub
            ctx = Context(sites, engine, storage, hub, Accounts(storage, sites, config.session_hours))
            asked = {key: value for key in ("day", "reason") if (value := getattr(args, key))}
            outcome = await close_day(ctx, local_admin, args.site_id, asked)
            return outcome.body
        finally:
            await engine.stop()
            await storage.close()

    with server_lock(config.database, existing=True):  # never a new, empty database for a mistyped --db
        try:
            body = asyncio.run(run())
        except Refusal as exc:
            raise SystemExit(f"error: {english(exc)}") from None
        except StartRefused as exc:
            raise SystemExit(f"error: {exc}") from None
    said = f" ({body['reason']})" if body.get("reason") else ""
    print(f"closed {args.site_id} {body['day']}{said}: {body['expired']} unserved tickets expired")


def cmd_archive(args: argparse.Namespace) -> None:
    """Archive and delete the event log before a day (a SQLite database with its server stopped; on PostgreSQL the
    server may run). `retention_days` does the same every day by itself (application/retention.py)."""
    from queue_server.application.retention import archive_events, archive_tickets
    from queue_server.persistence.factory import storage_for
    from queue_server.web.app import load_sites

    config = _config(args)
    sites = load_sites(config, sends_messages=False)  # the gateway's secrets need not be in this shell
    chosen = [args.site_id] if args.site_id else list(sites)
    unknown = [s for s in chosen if s not in sites]
    if unknown:
        raise SystemExit(f"error: unknown site {unknown[0]!r}; sites: {', '.join(sites)}")
    try:
        day = date.fromisoformat(args.before)
    except ValueError:
        raise SystemExit(f"error: --before {args.before!r} is not a date like 2026-09-01") from None
    today = min(sites[s].service_day(config.clock()()) for s in chosen)
    if day > today:  # today's events are the live day's: archived and deleted, they would be missing from it
        raise SystemExit(f"error: --before {day} is after today ({today}): only past days are archived")
    _database_expected(config, args)
    directory = Path(args.to) if args.to else config.archives

    async def run() -> list[Any]:
        storage = storage_for(config.database, synchronous=config.synchronous)
        await storage.open()
        try:
            out = []
            for site_id in chosen:
                before = datetime.combine(day, time(0, 0), tzinfo=sites[site_id].tz)  # the site's own midnight
                out.append(await archive_events(storage, site_id, before, directory, zone=sites[site_id].tz))
                out.append(await archive_tickets(storage, site_id, day, directory))
            return out
        finally:
            await storage.close()

    with server_lock(config.database, existing=True):
        for archived in asyncio.run(run()):
            if archived.count:
                print(f"{archived.site}: {archived.count} {archived.kind} archived to {archived.path}")
            else:
                print(f"{archived.site}: no {archived.kind} before {day} left to archive")


def cmd_migrate(args: argparse.Namespace) -> None:
    """Bring the database's schema to this release's version: what `serve` does at start-up, with the server
    stopped and saying what it applied. On PostgreSQL, migrations due are refused while server processes use the
    database, unless --force (on SQLite the lock file refuses a running server, --force or not)."""
    from queue_server.persistence.factory import storage_for
    from queue_server.persistence.schema import MigrationFailed, SchemaError

    config = _config(args)

    async def run() -> Outcome | None:
        if isinstance(config.database, str):
            return await _migrate_postgresql(config.database, force=args.force)
        storage = storage_for(config.database, synchronous=config.synchronous)
        await storage.open()
        try:
            return storage.migrated
        finally:
            await storage.close()

    with server_lock(config.database):
        try:
            outcome = asyncio.run(run())
        except SchemaError as exc:
            for name in exc.applied if isinstance(exc, MigrationFailed) else ():
                print(f"applied {name}")
            raise SystemExit(f"error: {exc}") from None
    assert outcome is not None
    if not outcome.applied:
        print(f"database {_shown(config)} at version {outcome.after}, nothing to do")
        return
    for name in outcome.applied:
        print(f"applied {name}")
    print(f"database {_shown(config)} now at version {outcome.after} (was {outcome.before})")


def cmd_backup(args: argparse.Namespace) -> None:
    """A consistent copy of the database, the server running or not (persistence/backup.py)."""
    from queue_server.persistence import backup

    config = _config(args)
    dest = Path(args.dest)
    replaced = ", in place of the one there" if args.replace and dest.exists() else ""
    try:
        if isinstance(config.database, Path):
            counts = backup.backup_sqlite(config.database, dest, args.replace)
            said = ", ".join(f"{n} {t}" for t, n in counts.items())
            print(f"backed up {config.database} to {dest}{replaced} ({said}); integrity checked")
        else:
            backup.backup_postgresql(config.database, dest, args.replace)
            print(f"backed up {_shown(config)} to {dest}{replaced} (pg_dump, custom format)")
    except backup.BackupRefused as exc:
        _backup_refused(exc)
    print(f"the notification key ({config.notification_key}) is not in the backup: keep a copy of it apart")


def cmd_restore(args: argparse.Namespace) -> None:
    """Put a backup back, with the server stopped."""
    from queue_server.persistence import backup

    config = _config(args)
    source = Path(args.source)
    if not source.is_file():  # before the lock: a mistyped name makes nothing beside the database
        raise SystemExit(f"error: {source}: no such backup file")
    with server_lock(config.database):
        try:
            if isinstance(config.database, Path):
                moved: list[Path] = []
                counts = backup.restore_sqlite(source, config.database, args.replace, moved)
                said = ", ".join(f"{n} {t}" for t, n in counts.items())
                print(f"restored {source} to {config.database} ({said})")
                if moved:
                    print(f"moved aside, renamed .replaced-<time>: {', '.join(str(p) for p in moved)}")
                if not config.notification_key.exists():  # a new machine or folder: the key was kept apart
                    print(
                        f"no notification key at {config.notification_key}: copy there the notify.key kept apart "
                        "from the backups before starting the server; without it the server makes a new one where "
                        "the backup sealed nothing, and refuses to start where it sealed citizens' numbers or webhook "
                        "secrets (docs/deployment.md, section 5)"
                    )
                elif not _key_fits(config.notification_key, config.database):
                    print(
                        f"the notification key at {config.notification_key} is not the one that encrypted the "
                        "citizens' numbers or webhook secrets in this backup (a server started here before made a key "
                        "of its own?): put there the notify.key kept apart from this database's backups before "
                        "starting the server, which refuses to start with this one (docs/deployment.md, section 5)"
                    )
            else:
                if not asyncio.run(backup.postgresql_is_empty(config.database)):
                    raise SystemExit(f"error: {_shown(config)} is not empty: restore into a new database")
                backup.restore_postgresql(source, config.database)
                print(f"restored {source} to {_shown(config)}")
        except backup.BackupRefused as exc:
            _backup_refused(exc)


def _backup_refused(exc: Any) -> NoReturn:
    """A backup or restore refused: where it writes mounted read-only or not the account's (5), its disk full (6), as
    database_health's statuses for the database itself (a script tells a remount from a disk to empty); else 1."""
    if exc.kind is None:
        raise SystemExit(f"error: {exc}") from None
    print(f"error: {exc}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_DATABASE[exc.kind]) from None


def _key_fits(key_file: Path, database: Path) -> bool:
    """Whether the key file opens what the restored database holds sealed (or nothing is sealed, or the file is
    empty: a new key is made at the start), read without changing the database (outbound/vault.checked_vault
    decides at the start)."""
    from queue_server.outbound.vault import Vault
    from queue_server.persistence import backup

    try:
        vault = Vault(key_file.read_bytes().strip())
    except (OSError, ValueError):
        return True  # empty, or no key at all: the server says what it makes of it
    held, sealed = backup.sealed_in_sqlite(database)
    return not held or any(vault.opens(text) for text in sealed)


def cmd_db_copy(args: argparse.Namespace) -> None:
    """Copy a whole SQLite database into an empty PostgreSQL database, checking every table's row count."""
    import sqlite3

    from queue_server.persistence import postgresql
    from queue_server.persistence.copy import copy_sqlite_to_postgresql
    from queue_server.persistence.database_health import unusable
    from queue_server.persistence.schema import SchemaError

    if not postgresql.is_postgresql(args.target):
        raise SystemExit("error: the target must be a postgresql://user:password@host:port/database URL")
    source: Path = args.source
    shown = postgresql.without_password(args.target)
    _a_database_file(source, "db")  # a damaged source said as one, not as the target's error
    with server_lock(source, existing=True):
        try:
            counts = copy_sqlite_to_postgresql(source, args.target, progress=print)
        except (ConnectionError, TimeoutError, socket.gaierror) as exc:  # the target unreachable: name it
            raise SystemExit(f"error: cannot reach the PostgreSQL database {shown}: {exc}") from None
        except (SchemaError, OSError) as exc:
            raise SystemExit(f"error: {exc}") from None
        except sqlite3.Error as exc:  # the source, damaged deeper than its first pages
            if (problem := unusable(exc, source)) is not None:
                _database_unusable(problem)
            raise SystemExit(f"error: {source}: {type(exc).__name__}: {exc}") from None
        except Exception as exc:  # asyncpg's errors: the server unreachable, a refused login ...
            raise SystemExit(f"error: {shown}: {type(exc).__name__}: {exc}") from None
    print(f"copied {sum(counts.values())} rows of {len(counts)} tables into {shown}; every count checked")


def cmd_init_site(args: argparse.Namespace) -> None:
    from queue_server.settings.starter import starter_site

    path = Path(args.file)
    if path.exists():
        raise SystemExit(f"error: {path} exists already: give another file name (nothing was written)")
    try:
        text = starter_site(args.id, args.name, args.timezone, date.today(), args.province, args.regency)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:  # it said "SQLite database var/queue.sqlite3: PermissionError", a database never touched
        if path.is_file():  # not there before (above): what a full disk left of it
            path.unlink()
        raise SystemExit(
            f"error: {path} could not be written ({exc.strerror or exc}): nothing was written. Choose a folder this "
            "account may write, or run it as that folder's owner (sudo, for /etc/antrean/sites)"
        ) from None
    # Absolute paths: the commands below are copied and run from wherever the installer stands, and a relative
    # var/queue.sqlite3 names another database in each folder (an installer's walk: `user add` run from the app's
    # folder made an account in a database the service, started in /srv/antrean, never opened).
    site_file = shlex.quote(str(path.resolve()))  # quoted: a folder may have a space, a URL an &
    db = _database_named(args, kind=False)  # a PostgreSQL URL's password as ***: said below
    postgresql = db.startswith(("postgresql://", "postgres://"))
    shown = "***" in db
    db = shlex.quote(db if postgresql else str(Path(db).resolve()))
    # The page is opened from another PC: this machine's LAN address, not localhost (any interface's: an offline
    # LAN often has no default route).
    where = next(iter(lan_addresses()), "SERVER")
    print(f"wrote {path}: {args.name}, one agency, one service, one counter, one lobby screen. Next:")
    print(f"  queue-server check-site {site_file}")
    print(f"  queue-server user add admin-mpp --role admin --site-id {args.id} --site {site_file} --db {db}")
    print(f"  queue-server serve --site {site_file} --db {db} --host 0.0.0.0")
    print(
        "(every command and the server itself must name this same database: --db, or QUEUE_DATABASE"
        + ("; *** is its password)" if postgresql and shown else ")")
    )
    print(
        f"then sign in at http://{where}:8000/supervisor/{args.id}/admin to add agencies, services, counters and "
        "staff" + ("" if where != "SERVER" else " (SERVER: this machine's address, once it has one: ip addr)")
    )


def cmd_check_site(args: argparse.Namespace) -> None:
    failed = False
    held = _applied_files(args)
    for path in args.files:
        document: dict[str, Any] = {}
        try:
            document = read_document(path)
            site = parse_site(document, str(path))
        except SiteFileError as exc:
            failed = True
            print(f"{path}: refused")
            for problem in exc.problems:
                print(f"  - {problem}")
                for line in _personal_in_words(problem, document):
                    print(f"      {line}")
            continue
        print(
            f"{path}: ok — {site.name}: {_count(len(site.agencies), 'agency', 'agencies')}, "
            f"{_count(len(site.services), 'service')}, {_count(len(site.counters), 'counter')}, "
            f"{_count(len(site.screens), 'screen')}"
        )
        for line in capacity_warnings(site):
            print(f"  warning: {line}")
        if held is not None:
            from queue_server.application.site_files import file_against_database

            applies, lines = file_against_database(site, document, held.get(site.id))
            failed = failed or not applies
            print(*(f"  {line}" for line in lines), sep="\n")
    if failed:
        raise SystemExit(1)


def _personal_in_words(problem: str, document: Any) -> list[str]:
    """A text naming a citizen, refused, in the Settings page's words (Indonesian, then English): the field by the
    name a supervisor knows it by ("Loket 1, nama"), not the file's place of it. Nothing for another problem."""
    from queue_server.common.messages import LANGUAGES, catalogue
    from queue_server.common.problems import PERSONAL_SHOWN, names_in, problem_text

    if PERSONAL_SHOWN not in problem:
        return []
    return [problem_text(problem, lang, catalogue(), names_in(document)) for lang in LANGUAGES]


def _applied_files(args: argparse.Namespace) -> dict[str, Any] | None:
    """The site files a database holds as applied, when check-site was given one it can read (None: it says why)."""
    from queue_server.persistence.applied_files import NoDatabase, applied_files
    from queue_server.persistence.database_health import DatabaseUnusable, NotADatabase, look, unusable
    from queue_server.settings.config import database_of

    text = args.db or os.environ.get("QUEUE_DATABASE")
    if not text:
        return None
    database = database_of(text)
    alone = "the files are checked on their own, not against the files applied"
    try:
        if isinstance(database, Path):  # read only: it may run beside the server, on a copy, from another account
            look(database, writes=False)
        return dict(applied_files(database))
    except NoDatabase:
        print(f"no database at {_database_named(args, kind=False)}; the files are checked on their own")
    except NotADatabase as exc:  # a site file given as --db: a mistake, said as every command says it
        raise SystemExit(f"error: {exc}") from None
    except DatabaseUnusable as problem:
        if problem.kind == "damaged":  # the sentence and status 4 of every command: only a restore mends it
            _database_unusable(problem)
        print(f"{_database_named(args)} cannot be read ({problem.why}); {alone}")
    except _database_errors() as exc:
        if isinstance(database, Path) and (found := unusable(exc, database)) is not None and found.kind == "damaged":
            _database_unusable(found)  # damage deeper than the pages `look` reads
        print(f"{_database_named(args)} cannot be read ({type(exc).__name__}: {exc}); {alone}")
    return None


def cmd_site_history(args: argparse.Namespace) -> None:
    from queue_server.application.site_files import history_lines
    from queue_server.persistence.applied_files import NoDatabase, applied_files

    try:
        sites = applied_files(_config(args).database)
    except NoDatabase:
        raise SystemExit(f"error: no database at {_database_named(args, kind=False)}") from None
    if args.site_id is not None and args.site_id not in sites:
        raise SystemExit(f"error: {_database_named(args)} holds no site {args.site_id!r} "
                         f"(sites: {', '.join(sorted(sites)) or 'none'})")  # fmt: skip
    print("\n".join(history_lines(sites, args.site_id)) or f"{_database_named(args)} holds no site yet")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def capacity_warnings(site: Site) -> list[str]:
    """The daily quotas their counters cannot serve (application/capacity.py), in the installer's words."""
    from queue_server.application.capacity import shortfalls

    out = []
    for short in shortfalls(site):
        services = ", ".join(site.services[s].name for s in short.services)
        counters = ", ".join(site.counters[c].name for c in short.counters) or "no counter"
        out.append(
            f"the daily quotas of {services} ({short.quota} citizens) need {short.needed} counter-minutes a day; "
            f"{counters} can give at most {short.available} (opening hours less the break; short on "
            f"{', '.join(short.days)}): about {short.citizens} would not be served before closing. Add a counter, "
            "lower the quota or check the service minutes."
        )
    return out


DB_HELP = (
    "SQLite database file, or postgresql://user:password@host:port/database "
    "(default var/queue.sqlite3, or QUEUE_DATABASE)"
)


SITE_ID_HELP = "the site's id (its site file's [site] id)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="queue-server", description="Queue server for Mal Pelayanan Publik")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, server: bool = False) -> None:
        sp.add_argument("--db", help=DB_HELP)
        sp.add_argument("--site", action="append", help="site file (TOML); repeat for several sites (default: the demo "
                        "mall's, or QUEUE_SITE_FILES; refused for a database that holds other malls)")  # fmt: skip
        if server:
            sp.add_argument(
                "--workers",
                type=int,
                help="server processes on one port (PostgreSQL only; default 1, or QUEUE_WORKERS)",
            )
            sp.add_argument("--host", help="address to listen on (default 127.0.0.1, or QUEUE_HOST); 0.0.0.0 for "
                            "the mall's TVs, kiosks and counters on the LAN")  # fmt: skip
            sp.add_argument("--port", type=int, help="port (default 8000, or PORT)")
            sp.add_argument(
                "--synchronous",
                choices=["NORMAL", "FULL"],
                help="SQLite: FULL (default) survives a power cut; NORMAL only a killed process, a little faster",
            )
            sp.add_argument(
                "--access-log", action="store_true", default=None, help="log every HTTP request (off by default)"
            )
            sp.add_argument(
                "--forwarded-allow-ips",
                metavar="ADDRESSES",
                help="the load balancer's addresses, trusted to say the client's address in X-Forwarded-For "
                "(default 127.0.0.1, or QUEUE_FORWARDED_ALLOW_IPS)",
            )
            sp.add_argument("--log-format", choices=FORMATS_CHOICES, help="text (default) or json: one object per line")
            sp.add_argument(
                "--mirror",
                action="append",
                metavar="SITE_ID",
                help="a site (of a --site file) served by the mall's own server and only shown here, from the log "
                "that server sends up; repeat for several (or QUEUE_MIRRORED_SITES)",
            )
            sp.add_argument(
                "--uplink",
                metavar="URL",
                help="send this server's event logs to the server that mirrors its sites, with the token in "
                "QUEUE_UPLINK_TOKEN (or QUEUE_UPLINK_URL)",
            )

    def clock(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--clock-start",
            metavar="ISO_TIME",
            help="run on a simulated clock that starts at this time, e.g. 2026-12-07T06:30:00+07:00 "
            "(soak tests and training only; or QUEUE_CLOCK_START)",
        )
        sp.add_argument(
            "--clock-speed",
            type=float,
            metavar="N",
            help="the simulated clock runs N times faster than the machine's (default 1, or QUEUE_CLOCK_SPEED)",
        )

    sp = sub.add_parser("serve", help="run the server")
    common(sp, server=True)
    clock(sp)
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("demo", help="run the built-in demo mall with demo accounts and tokens")
    sp.add_argument(
        "--db", default="var/demo.sqlite3", help="database file (default var/demo.sqlite3), or a postgresql:// URL"
    )
    sp.add_argument("--host")
    sp.add_argument("--port", type=int)
    sp.add_argument("--access-log", action="store_true", default=None, help="log every HTTP request")
    sp.add_argument("--log-format", choices=FORMATS_CHOICES, help="text (default) or json: one object per line")
    sp.add_argument("--workers", type=int, help="server processes on one port (with a postgresql:// --db only)")
    clock(sp)
    sp.set_defaults(func=cmd_demo, site=None, synchronous=None)

    sp = sub.add_parser("user", help="manage accounts")
    usub = sp.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="create an account")
    common(add)
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "supervisor", "operator", "regional"])
    add.add_argument("--site-id", help="the site of a supervisor or operator")
    add.add_argument(
        "--sites", help="the sites a regional account sees, comma-separated (e.g. tegal,brebes); none: every site"
    )
    add.add_argument("--agency", help="the agency of an operator")
    add.add_argument("--name", help="display name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    pw = usub.add_parser("passwd", help="set a new password (ends the user's sessions)")
    common(pw)
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    for name, text in (("disable", "disable an account (someone who left): its sessions end at once, and the "
                        "running server closes the counters left open under it, its citizens kept safe"),
                       ("enable", "enable a disabled account again")):  # fmt: skip
        one = usub.add_parser(name, help=text)
        common(one)
        one.add_argument("username")
    where = usub.add_parser("sites", help="change the malls a regional account sees (in effect at once)")
    common(where)
    where.add_argument("username")
    scope = where.add_mutually_exclusive_group(required=True)
    scope.add_argument("--sites", help="the sites, comma-separated (e.g. tegal,brebes)")
    scope.add_argument("--all", action="store_true", help="every site of the server (a national account)")
    common(usub.add_parser("list", help="list accounts"))
    sp.set_defaults(func=cmd_user)

    sp = sub.add_parser("device", help="manage display, kiosk and uplink tokens")
    dsub = sp.add_subparsers(dest="device_command", required=True)
    add = dsub.add_parser("add", help="create a device token (printed once)")
    common(add)
    add.add_argument("--kind", required=True, choices=["display", "kiosk", "uplink"],
                     help="uplink: for the server of a mall this server mirrors (serve --mirror)")  # fmt: skip
    add.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    add.add_argument("--name", required=True)
    add.add_argument("--screen", help="the screen a display shows (from the site file)")
    rv = dsub.add_parser("revoke", help="revoke a device token")
    common(rv)
    rv.add_argument("id", type=int)
    common(dsub.add_parser("list", help="list devices"))
    sp.set_defaults(func=cmd_device)

    sp = sub.add_parser("webhook", help="signed webhooks to agency systems, and deliveries (docs/notifications.md)")
    wsub = sp.add_subparsers(dest="webhook_command", required=True)
    add = wsub.add_parser("add", help="add an endpoint (its secret is printed once)")
    common(add)
    add.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    add.add_argument("--url", required=True, help="http:// or https:// address the receiver listens on")
    add.add_argument("--events", required=True, help="event types, comma-separated (e.g. ticket.called), or *")
    add.add_argument("--agency", help="only this agency's tickets (default: every agency of the site)")
    add.add_argument("--description")
    for name, text in (("remove", "remove an endpoint"), ("rotate", "give an endpoint a new secret (printed once)")):
        one = wsub.add_parser(name, help=text)
        common(one)
        one.add_argument("--site-id", required=True, help=SITE_ID_HELP)
        one.add_argument("id", help="the endpoint's id (wh_...)")
    for name, text in (("list", "list endpoints"), ("status", "deliveries per endpoint: sent, retrying, failed")):
        one = wsub.add_parser(name, help=text)
        common(one)
        one.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    one = wsub.add_parser("resend", help="send failed messages again: every one of an endpoint (wh_... or "
                          "gateway), or one message by its id")  # fmt: skip
    common(one)
    one.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    one.add_argument("id")
    sp.set_defaults(func=cmd_webhook)

    sp = sub.add_parser("mirror", help="a mall whose log came up from its own server (docs/deployment.md)")
    msub = sp.add_subparsers(dest="mirror_command", required=True)
    one = msub.add_parser("take-over", help="serve the mall here from now on (with this server stopped)")
    common(one)
    one.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    one.add_argument("--bookings", metavar="FILE", help="the codes of the bookings taken at the mall's own server, "
                     "from `mirror hand-over` there")  # fmt: skip
    one.add_argument("--without-bookings", action="store_true", help="take over without the codes of bookings "
                     "still to be checked in (the mall's own server is lost)")  # fmt: skip
    one = msub.add_parser("hand-over", help="at the mall's own server, stopped: its bookings' codes to a file for "
                          "the server that takes it over (mirror take-over --bookings)")  # fmt: skip
    common(one)
    one.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    one.add_argument("--to", required=True, metavar="FILE", help="the file to write (not one that exists)")
    one = msub.add_parser("forget", help="forget the copy of the mall here, to be sent again from its server (a box "
                          "restored from an older backup; with this server stopped)")  # fmt: skip
    common(one)
    one.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    sp.set_defaults(func=cmd_mirror)

    sp = sub.add_parser("close-day", help="close a service day with the server stopped")
    common(sp)
    sp.add_argument("--site-id", required=True, help=SITE_ID_HELP)
    sp.add_argument("--day", help="YYYY-MM-DD (default: today, local time)")
    sp.add_argument("--reason", help='why, as kiosks and phones say it ("Gangguan listrik"; at most 120 characters)')
    sp.set_defaults(func=cmd_close_day)

    sp = sub.add_parser("archive", help="archive the event log before a day to gzip files, then delete it")
    common(sp)
    sp.add_argument("--before", required=True, help="YYYY-MM-DD: events before this local day go")
    sp.add_argument("--site-id", help="one site (default: every site)")
    sp.add_argument("--to", help="the folder of the archive files (default: 'archive' beside the database)")
    sp.set_defaults(func=cmd_archive)

    sp = sub.add_parser("migrate", help="bring the database's schema up to date (serve also does, at start-up)",
                        epilog="Stop every server process of the database first. On PostgreSQL, migrate (and serve "
                        "of a newer release) refuses to apply a migration while server processes are connected, "
                        "and names them; with nothing to migrate nothing is refused (docs/deployment.md, "
                        "Upgrading).")  # fmt: skip
    sp.add_argument("--db", help=DB_HELP)
    sp.add_argument("--force", action="store_true", help="PostgreSQL: migrate even though server processes are "
                    "connected to the database (they are gone, or may fail meanwhile); SQLite's lock file still "
                    "refuses a running server")  # fmt: skip
    sp.set_defaults(func=cmd_migrate)

    sp = sub.add_parser("backup", help="a consistent copy of the database, while the server runs")
    sp.add_argument("dest", help="the new backup file (never overwritten, unless --replace)")
    sp.add_argument("--db", help=DB_HELP)
    sp.add_argument("--replace", action="store_true", help="replace DEST if it exists, once the new copy is whole and "
                    "checked (a nightly job run twice a day); a copy that fails leaves DEST as it was")  # fmt: skip
    sp.set_defaults(func=cmd_backup)

    sp = sub.add_parser("restore", help="put a backup back (server stopped)")
    sp.add_argument("source", help="a file made by `queue-server backup`")
    sp.add_argument("--db", help=DB_HELP)
    sp.add_argument("--replace", action="store_true", help="keep the current SQLite file aside and restore over it")
    sp.set_defaults(func=cmd_restore)

    sp = sub.add_parser("db", help="move a database: copy a SQLite database into PostgreSQL")
    dbsub = sp.add_subparsers(dest="db_command", required=True)
    cp = dbsub.add_parser("copy", help="copy a whole SQLite database into a new, empty PostgreSQL database")
    cp.add_argument("source", type=Path, help="the SQLite database file (its server stopped)")
    cp.add_argument("target", help="postgresql://user:password@host:port/database (must be empty)")
    sp.set_defaults(func=cmd_db_copy)

    sp = sub.add_parser("init-site", help="write a first site file for a new mall (one agency, service, counter)")
    sp.add_argument("file", help="the site file to write (refused if it exists)")
    sp.add_argument("--id", required=True, help="the site's id: lower-case letters, digits, - and _ (e.g. slawi)")
    sp.add_argument("--name", required=True, help='the mall\'s name, e.g. "MPP Kabupaten Slawi"')
    sp.add_argument(
        "--timezone",
        help="Asia/Jakarta or Asia/Pontianak (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT); by default the "
        "province's (the law's), else Asia/Jakarta",
    )
    sp.add_argument("--province", help='where the mall is, for the ministry\'s reports: e.g. "Jawa Tengah"')
    sp.add_argument("--regency", help='its regency or city: "Kabupaten Slawi" or "Kota Tegal"')
    sp.add_argument("--db", help="the database the next commands it prints should name (default var/queue.sqlite3 "
                    "in this folder, or QUEUE_DATABASE); nothing is written to it")  # fmt: skip
    sp.set_defaults(func=cmd_init_site)

    sp = sub.add_parser("check-site", help="validate site files and list every problem")
    sp.add_argument("files", nargs="+", type=Path, help="site files (TOML) to check")
    sp.add_argument("--db", help="also say whether a server of this database would apply each file or find it older "
                    "than the one applied last (or QUEUE_DATABASE); " + DB_HELP.split(" (default")[0])  # fmt: skip
    sp.set_defaults(func=cmd_check_site)

    sp = sub.add_parser("site-history", help="the site files applied to a database, which machine applied each, and "
                        "the one in force")  # fmt: skip
    sp.add_argument("--db", help=DB_HELP)
    sp.add_argument("--site-id", help=SITE_ID_HELP + "; default every site")
    sp.set_defaults(func=cmd_site_history)
    _described(p)
    return p


def _described(parser: argparse.ArgumentParser) -> None:
    """Each command's own --help opens with what it does (the line its parent lists it with), at every level."""
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its subcommands nowhere else
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for choice in action._choices_actions:  # noqa: SLF001
                child = action.choices[choice.dest]
                if child.description is None:
                    child.description = choice.help
                _described(child)


def _database_errors() -> tuple[type[BaseException], ...]:
    """What reaching a database may raise: the machine's (no route, refused), SQLite's and, when installed, asyncpg's
    (a wrong password, no such database)."""
    import sqlite3

    from queue_server.persistence.database_health import DatabaseUnusable

    errors: tuple[type[BaseException], ...] = (OSError, sqlite3.Error, DatabaseUnusable)
    try:
        import asyncpg
    except ImportError:
        return errors
    return (*errors, asyncpg.PostgresError, asyncpg.InterfaceError)


def _schema_error() -> type[BaseException]:
    from queue_server.persistence.schema import SchemaError

    return SchemaError


def _database_named(args: argparse.Namespace, *, kind: bool = True) -> str:
    """The database a command was given, as it may be shown (a PostgreSQL password as ***); `kind=False`: its path
    or URL alone, for "no database at ..." (it said "no database at SQLite database var/queue.sqlite3")."""
    from queue_server.settings.config import without_password

    text = str(getattr(args, "db", None) or os.environ.get("QUEUE_DATABASE") or "var/queue.sqlite3")
    if not kind:
        return without_password(text)
    named = "PostgreSQL" if text.startswith(("postgresql://", "postgres://")) else "SQLite"
    return f"{named} database {without_password(text)}"


FULL_BELOW = 1_000_000  # bytes free on the database's disk under which a failure is put down to a full disk


def _disk_full(args: argparse.Namespace) -> str:
    """What to do when a SQLite database failed on a disk with (next to) no room left. SQLite says "disk I/O error"
    when it cannot even make its -shm file there, which reads as a failing disk (outside review: serve on a full
    disk said only that, and systemd started it again every 2 seconds)."""
    text = _sqlite_named(args)
    return "" if text is None else _disk_full_at(Path(text), quiet=True)


def _sqlite_named(args: argparse.Namespace) -> str | None:
    """The SQLite database a command was given (--db, QUEUE_DATABASE or the default); None for PostgreSQL."""
    text = str(getattr(args, "db", None) or os.environ.get("QUEUE_DATABASE") or "var/queue.sqlite3")
    return None if text.startswith(("postgresql://", "postgres://")) else text


def _disk_full_at(database: Path, *, quiet: bool = False) -> str:
    """The room left on the disk of `database`, said with what to do; `quiet`: nothing unless it is (next to) full."""
    folder = database.resolve().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    if free >= FULL_BELOW and quiet:
        return ""
    state = "is full" if free < FULL_BELOW else "(or the account's quota) is full"
    return (
        f". The disk of {folder} {state} ({free // 1000} KB free): free some space on it (old backups, the archive "
        "folder), then run this again (docs/deployment.md, 'A full disk')"
    )


def _another_file(args: argparse.Namespace, exc: BaseException) -> str | None:
    """A file that is not the database (nor its -wal, -shm or lock file) that could not be written or read: an
    archive's folder, a hand-over's file, a backup's copy. It was said as the database's error ("SQLite database
    var/queue.sqlite3: NotADirectoryError: ..."), which sent the technician after a database that was fine."""
    if not isinstance(exc, OSError) or not exc.filename:
        return None
    name = exc.filename
    text = str(getattr(args, "db", None) or os.environ.get("QUEUE_DATABASE") or "var/queue.sqlite3")
    if not text.startswith(("postgresql://", "postgres://")) and str(Path(os.fsdecode(name)).resolve()).startswith(
        str(Path(text).resolve())
    ):
        return None
    return f"{os.fsdecode(name)}: {exc.strerror or type(exc).__name__} (the database is not at fault)"


def _no_such_database(exc: BaseException) -> str:
    """What to do for a PostgreSQL URL naming a database not made yet: the server makes its tables, not the
    database (an installer's walk: `restore` into a new URL said only InvalidCatalogNameError)."""
    if type(exc).__name__ != "InvalidCatalogNameError":
        return ""
    return (
        ". The server makes its tables, not the database: create it first, as PostgreSQL's administrator "
        "(sudo -u postgres createdb --owner ROLE NAME; docs/deployment.md, section 1), then run this again"
    )


def _unusable_database(args: argparse.Namespace, exc: BaseException) -> None:
    """One rule for every command: an error that says the database cannot be used as it is (damaged, the account's
    rights, a full disk; PostgreSQL out of reach or refusing) ends the command in a sentence and its own exit status
    (EXIT_DATABASE), whichever step met it. Returns for any other error."""
    from queue_server.persistence.database_health import unusable

    sqlite = _sqlite_named(args)
    if sqlite is not None:
        if (problem := unusable(exc, Path(sqlite))) is not None:
            _database_unusable(problem)
        return
    if (said := _postgresql_unreachable(exc)) is not None:
        print(f"error: {_database_named(args)}: {type(exc).__name__}: {exc}{said}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_DATABASE["denied"])


def _postgresql_unreachable(exc: BaseException) -> str | None:
    """What to do when PostgreSQL cannot be reached or refuses this server's login; None for any other error."""
    name = type(exc).__name__
    if name == "InvalidCatalogNameError":
        return _no_such_database(exc)
    if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
        return (". PostgreSQL refused the role or its password: check the URL's role and password (or ~/.pgpass) "
                "against the role made for the server (docs/deployment.md, section 1), and pg_hba.conf for this "
                "machine's address")  # fmt: skip
    if isinstance(exc, socket.gaierror):
        return ". That host name is not known here: check the host in the URL (or give its address)"
    if isinstance(exc, (ConnectionRefusedError, TimeoutError)) or name in (
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
    ):
        return (". PostgreSQL could not be reached there: check that it runs (systemctl status postgresql), that "
                "it listens on that address and port (listen_addresses in postgresql.conf) and that no firewall is "
                "in between, then run this again")  # fmt: skip
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNRESET):
        return ". PostgreSQL could not be reached there: check the host in the URL and the network to it"
    return None


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        args.func(args)
    except ModuleNotFoundError as exc:
        if exc.name != "asyncpg":
            raise
        raise SystemExit("error: PostgreSQL support is not installed here: pip install '.[postgresql]'") from None
    except EOFError:  # input() with nothing to read: a script, or ssh without a terminal
        raise SystemExit("error: nothing was typed (no terminal?): give the password with --password-stdin") from None
    except _database_errors() as exc:
        if other := _another_file(args, exc):
            raise SystemExit(f"error: {other}") from None
        _unusable_database(args, exc)
        raise SystemExit(f"error: {_database_named(args)}: {type(exc).__name__}: {exc}{_disk_full(args)}"
                         f"{_no_such_database(exc)}") from None  # fmt: skip
    except _schema_error() as exc:  # any command opening a database: a newer one, or migrations due under servers
        _unusable_database(args, exc)
        raise SystemExit(f"error: {exc}{_disk_full(args)}") from None
    except KeyboardInterrupt:
        # Ctrl+C: the server has already shut down cleanly (uvicorn re-raises the signal afterwards); a traceback
        # here would read like a crash. 130: the shell's code for "stopped by Ctrl+C".
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()

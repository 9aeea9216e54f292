"""One configuration object. The command line and the environment map onto it here and nowhere else."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from queue_server.settings.clock import Clock, SimulatedClock, check_speed, parse_start, utc_now
from queue_server.settings.logformat import FORMATS
from queue_server.settings.sitefile import DEMO_SITE

# How `serve --workers N` hands its configuration to the worker processes it starts (their environment).
CONFIG_VARIABLE = "QUEUE_SERVE_CONFIG"


def without_password(dsn: str) -> str:
    """A connection URL fit for a message or a log: the password replaced by ***."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def database_of(value: str | Path) -> Path | str:
    """A `--db` value: a PostgreSQL URL stays text (a Path would fold its `//`), a path is a SQLite file, any other
    address is refused (a mistyped scheme used to become a folder named after the URL, password and all)."""
    text = str(value)
    if text.startswith(("postgresql://", "postgres://")):
        return text
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        raise ValueError(
            f"{without_password(text)} is not a database this server uses: give a SQLite file "
            "(e.g. var/queue.sqlite3) or postgresql://user:password@host:port/database"
        )
    return Path(text)


# Numeric settings read from the environment as they are (docs/configuration.md).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")  # uvicorn's
_NUMBERS = {
    "QUEUE_CONTACT_RETENTION_HOURS": "contact_retention_hours",
    "QUEUE_CLOCK_JUMP_HOURS": "clock_jump_hours",
    "QUEUE_RETENTION_DAYS": "retention_days",
    "QUEUE_OUTBOX_RETRY_SECONDS": "outbox_retry_seconds",
    "QUEUE_OUTBOX_RETRY_CAP_SECONDS": "outbox_retry_cap_seconds",
    "QUEUE_OUTBOX_MAX_ATTEMPTS": "outbox_max_attempts",
    "QUEUE_OUTBOX_BREAKER_SECONDS": "outbox_breaker_seconds",
    "QUEUE_OUTBOX_TIMEOUT_SECONDS": "outbox_timeout_seconds",
    "QUEUE_SESSION_HOURS": "session_hours",
    "QUEUE_MAX_BODY_BYTES": "max_body_bytes",
    "QUEUE_WS_QUEUE_SIZE": "ws_queue_size",
    "QUEUE_WS_HEARTBEAT_SECONDS": "ws_heartbeat_seconds",
    "QUEUE_WS_TIMEOUT_SECONDS": "ws_timeout_seconds",
    "QUEUE_REPLAY_LIMIT": "replay_limit",
    "QUEUE_BOOKINGS_PER_MINUTE": "bookings_per_minute",
    "QUEUE_DASHBOARD_SECONDS": "dashboard_seconds",
    "QUEUE_SCREEN_WATCH_SECONDS": "screen_watch_seconds",
    "QUEUE_LOGIN_WINDOW_SECONDS": "login_window_seconds",
    "QUEUE_SURVEY_DAYS": "survey_days",
    "PORT": "port",
    "QUEUE_WORKERS": "workers",
}


def _flag(env: dict[str, str], variable: str) -> bool:
    flag = env[variable].strip().lower()
    if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        raise ValueError(f"{variable} must be 1 or 0 (or true/false), got {flag!r}")
    return flag in ("1", "true", "yes", "on")


# Numeric settings and the range each must be in (the others: above 0, checked in validate).
_RANGES = (
    ("session_hours", 1, 24 * 31),
    ("max_body_bytes", 1024, 16 * 1024 * 1024),
    ("ws_queue_size", 1, 1_000_000),
    ("replay_limit", 1, 1_000_000),
    ("bookings_per_minute", 1, 100_000),
    ("clock_jump_hours", 0, 24 * 366),
)


@dataclass
class Config:
    database: Path | str = Path("var/queue.sqlite3")  # a SQLite file, or a postgresql:// URL
    workers: int = 1  # server processes on one port (PostgreSQL only: a SQLite file has one writer)
    site_files: list[Path] = field(default_factory=lambda: [DEMO_SITE])
    host: str = "127.0.0.1"
    port: int = 8000
    demo: bool = False
    # FULL: a ticket acknowledged (and printed) survives a power cut, the usual failure at a mall; NORMAL only a
    # killed process, and its number could be issued again after the power returns (docs/benchmarks.md: -17 %).
    synchronous: str = "FULL"
    ignore_hours: bool = False
    session_hours: int = 12
    max_body_bytes: int = 64 * 1024
    ws_queue_size: int = 512
    ws_heartbeat_seconds: float = 15.0
    ws_timeout_seconds: float = 45.0
    replay_limit: int = 2000  # a client further behind than this gets a snapshot instead of a replay
    bookings_per_minute: int = 10  # online bookings accepted per client address per minute
    dashboard_seconds: float = 1.0  # supervisors' dashboards are refreshed at least this often (waits keep growing)
    log_level: str = "info"
    log_format: str = "text"  # "json": one JSON object per line (settings/logformat.py)
    # A line per HTTP request costs ~15 % of the requests a server can answer (docs/benchmarks.md) and would
    # write citizens' ticket links (/t/{token}) to the log; privileged actions are in the audit log anyway.
    access_log: bool = False
    # Who may say which address a request came from (X-Forwarded-For): the per-address limits (sign-ins, bookings,
    # booking codes) count the proxy itself otherwise. Comma-separated addresses or networks, or "*".
    forwarded_allow_ips: str = "127.0.0.1"
    sound_cache: Path | None = None  # announcement WAVs and extra words; default: "sound-cache" beside the database
    # A simulated clock (settings/clock.py): the time it starts at, how much faster it runs, and the machine's
    # time it started (set once by the command line, so every worker process reads the same time).
    clock_start: str | None = None
    clock_speed: float = 1.0
    clock_anchor: float | None = None
    # A past day with open tickets is closed by itself only when the clock looks right: not when the site's newest
    # event is more than this many hours old (a clock started with a wrong date), nor after the clock jumped ahead
    # while running. 0: always close (pipeline/engine.py).
    clock_jump_hours: float = 24.0
    # The event log's retention: events older than this many days are archived (gzip JSON lines in `archive_dir`,
    # default "archive" beside the database) and deleted, daily. 0: kept for ever (application/retention.py).
    retention_days: int = 0
    archive_dir: Path | None = None
    screen_watch_seconds: float = 30.0  # how often devices' last-seen times are saved and missing TVs looked for
    # Messages out (docs/notifications.md). The key that encrypts citizens' numbers and webhook secrets, in a file
    # outside the database (default: "notify.key" beside it; made at first start); how long a number is kept after
    # its ticket's day or booking ends; how deliveries are retried.
    key_file: Path | None = None
    login_window_seconds: float = 300.0  # sign-ins: 10 wrong passwords per account, 30 per address, in this window
    # The satisfaction survey takes a served ticket's answers for this many days after its service, no longer, so a
    # closed period's index stops changing (supervision/survey.py).
    survey_days: int = 7
    demo_inbox: bool = False  # `queue-server demo`: citizens' messages go to /demo/whatsapp (web/demo_inbox.py)
    contact_retention_hours: int = 0
    outbox_retry_seconds: float = 5.0
    outbox_retry_cap_seconds: float = 600.0
    outbox_max_attempts: int = 12
    outbox_breaker_seconds: float = 30.0
    outbox_timeout_seconds: float = 10.0  # one request to a receiver, its answer read: the longest it holds its lane
    # Malls on their own boxes (docs/deployment.md, "Malls on their own boxes"). Here: the sites this server only
    # mirrors, from the log their own server sends up. There: where this server sends its sites' logs, and the
    # uplink token the mirror issued (from the environment only: never on a command line).
    # A lab's or the tests' setting, off for a mall: kiosk printers and webhook receivers may be on this machine
    # (loopback; printers then on any port). Staff could otherwise reach the server's own services through them.
    allow_loopback_targets: bool = False
    mirrored: list[str] = field(default_factory=list)
    uplink_url: str | None = None
    uplink_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Config:
        """Settings from QUEUE_* environment variables (see docs/configuration.md), then explicit overrides."""
        env = dict(os.environ if env is None else env)
        config = cls()
        if "QUEUE_DATABASE" in env and overrides.get("database") is None:  # --db wins, even over a wrong variable
            config.database = database_of(env["QUEUE_DATABASE"])
        if "QUEUE_SITE_FILES" in env:
            config.site_files = [Path(p) for p in env["QUEUE_SITE_FILES"].split(os.pathsep) if p]
        if "QUEUE_HOST" in env:
            config.host = env["QUEUE_HOST"]
        if "QUEUE_SYNCHRONOUS" in env:
            config.synchronous = env["QUEUE_SYNCHRONOUS"].upper()
        if "QUEUE_CLOCK_START" in env:
            config.clock_start = env["QUEUE_CLOCK_START"] or None
        if "QUEUE_CLOCK_SPEED" in env:
            try:
                config.clock_speed = float(env["QUEUE_CLOCK_SPEED"])
            except ValueError:
                raise ValueError(f"QUEUE_CLOCK_SPEED must be a number, got {env['QUEUE_CLOCK_SPEED']!r}") from None
        if "QUEUE_LOG_FORMAT" in env:
            config.log_format = env["QUEUE_LOG_FORMAT"].strip().lower()
        if "QUEUE_MIRRORED_SITES" in env:
            config.mirrored = [s.strip() for s in env["QUEUE_MIRRORED_SITES"].split(",") if s.strip()]
        if "QUEUE_UPLINK_URL" in env:
            config.uplink_url = env["QUEUE_UPLINK_URL"].strip() or None
        if "QUEUE_UPLINK_TOKEN" in env:
            config.uplink_token = env["QUEUE_UPLINK_TOKEN"].strip() or None
        if "QUEUE_KEY_FILE" in env:
            config.key_file = Path(env["QUEUE_KEY_FILE"])
        if "QUEUE_SOUND_CACHE" in env:
            config.sound_cache = Path(env["QUEUE_SOUND_CACHE"])
        if "QUEUE_ARCHIVE_DIR" in env:
            config.archive_dir = Path(env["QUEUE_ARCHIVE_DIR"])
        if "QUEUE_FORWARDED_ALLOW_IPS" in env:
            config.forwarded_allow_ips = env["QUEUE_FORWARDED_ALLOW_IPS"].strip() or "127.0.0.1"
        if "QUEUE_LOG_LEVEL" in env:
            config.log_level = env["QUEUE_LOG_LEVEL"].strip().lower()
        for variable, name in _NUMBERS.items():
            if variable in env and overrides.get(name) is None:  # the command line wins
                try:
                    kind = type(getattr(config, name))
                    setattr(config, name, kind(env[variable]))
                except ValueError:
                    raise ValueError(f"{variable} must be a number, got {env[variable]!r}") from None
        if "QUEUE_IGNORE_HOURS" in env:
            config.ignore_hours = _flag(env, "QUEUE_IGNORE_HOURS")
        if "QUEUE_ACCESS_LOG" in env:
            config.access_log = _flag(env, "QUEUE_ACCESS_LOG")
        if "QUEUE_ALLOW_LOOPBACK_TARGETS" in env:
            config.allow_loopback_targets = _flag(env, "QUEUE_ALLOW_LOOPBACK_TARGETS")
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, database_of(str(value)) if key == "database" else value)
        if config.clock_start is not None and config.clock_anchor is None:
            config.clock_anchor = time.time()  # now, once: the workers started from this configuration share it
        config.validate()
        return config

    def to_json(self) -> str:
        values = dataclasses.asdict(self)
        values["database"] = str(self.database)
        values["site_files"] = [str(p) for p in self.site_files]
        values["sound_cache"] = str(self.sound_cache) if self.sound_cache is not None else None
        values["key_file"] = str(self.key_file) if self.key_file is not None else None
        values["archive_dir"] = str(self.archive_dir) if self.archive_dir is not None else None
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Config:
        values = json.loads(text)
        values["database"] = database_of(values["database"])
        values["site_files"] = [Path(p) for p in values["site_files"]]
        values["sound_cache"] = Path(values["sound_cache"]) if values["sound_cache"] is not None else None
        values["key_file"] = Path(values["key_file"]) if values.get("key_file") is not None else None
        values["archive_dir"] = Path(values["archive_dir"]) if values.get("archive_dir") is not None else None
        config = cls(**values)
        config.validate()
        return config

    def clock(self) -> Clock:
        """The server's clock: the machine's, or the simulated one these settings describe."""
        if self.clock_start is None:
            return utc_now
        anchor = time.time() if self.clock_anchor is None else self.clock_anchor
        return SimulatedClock(parse_start(self.clock_start), self.clock_speed, anchor)

    @property
    def on_postgresql(self) -> bool:
        return isinstance(self.database, str)

    @property
    def data_directory(self) -> Path:
        """Where files beside the database go (the sound cache): the SQLite file's folder, or var/."""
        return Path("var") if isinstance(self.database, str) else self.database.parent

    @property
    def archives(self) -> Path:
        """Where archived events go: set, or "archive" beside the database (var/ for PostgreSQL)."""
        return self.archive_dir if self.archive_dir is not None else self.data_directory / "archive"

    @property
    def notification_key(self) -> Path:
        """The key file of outbound/vault.py: set, or "notify.key" beside the database (var/ for PostgreSQL)."""
        return self.key_file if self.key_file is not None else self.data_directory / "notify.key"

    def uplink_tokens(self, sites: list[str]) -> dict[str, str]:
        """Per site of this server, the uplink token its log goes up with: QUEUE_UPLINK_TOKEN is one token (a box
        with one mall, the usual case) or `site=token` pairs separated by commas (a box hosting several)."""
        text = self.uplink_token or ""
        if "=" not in text:
            return dict.fromkeys(sites, text) if text else {}
        pairs = dict(pair.strip().split("=", 1) for pair in text.split(",") if pair.strip())
        unknown = sorted(set(pairs) - set(sites))
        if unknown:
            raise ValueError(f"QUEUE_UPLINK_TOKEN names {unknown[0]!r}, not a site of this server ({', '.join(sites)})")
        return {site: pairs[site].strip() for site in sites if pairs.get(site, "").strip()}

    def validate(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, got {self.workers}")
        if self.demo_inbox and self.workers > 1:
            raise ValueError("the demo's WhatsApp inbox is one process's memory: use it with one worker")
        if self.workers > 1 and not self.on_postgresql:
            raise ValueError(
                "several workers need PostgreSQL (--db postgresql://...): a SQLite file has one writer process"
            )
        if self.synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, got {self.synchronous!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0-65535, got {self.port}")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        check_speed(self.clock_speed)
        if self.clock_start is not None:
            parse_start(self.clock_start)
        elif self.clock_speed != 1.0:
            raise ValueError("a clock speed needs a clock start (--clock-start): the machine's clock runs at 1x")
        if not self.site_files:
            raise ValueError("at least one site file is needed")
        if self.log_format not in FORMATS:
            raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {self.log_format!r}")
        if self.retention_days and not 7 <= self.retention_days <= 3660:
            raise ValueError(f"retention must be 0 (keep everything) or 7 to 3660 days, got {self.retention_days}")
        for name, low, high in _RANGES:  # a negative session length signed everybody out at once
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} must be from {low:g} to {high:g}, got {value:g}")
        for name in ("ws_heartbeat_seconds", "ws_timeout_seconds", "dashboard_seconds", "screen_watch_seconds",
                     "login_window_seconds"):  # fmt: skip
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be above 0, got {getattr(self, name):g}")
        if not 1 <= self.survey_days <= 366:
            raise ValueError(f"the survey's answer window must be 1 to 366 days, got {self.survey_days}")
        if not 0 <= self.contact_retention_hours <= 24 * 31:
            raise ValueError(f"contact retention must be 0 to 744 hours, got {self.contact_retention_hours}")
        if self.outbox_retry_seconds <= 0 or self.outbox_retry_cap_seconds < self.outbox_retry_seconds:
            raise ValueError("outbox retry seconds must be above 0 and at most the retry cap")
        if self.outbox_max_attempts < 1 or self.outbox_breaker_seconds <= 0:
            raise ValueError("outbox attempts must be 1 or more and the breaker's pause above 0")
        if self.uplink_url is not None:
            parts = urlsplit(self.uplink_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.password is not None:
                raise ValueError("the uplink must be the mirroring server's address, e.g. "
                                 f"https://antrean.jatengprov.go.id, got {self.uplink_url!r}")  # fmt: skip
            if not self.uplink_token:
                raise ValueError("an uplink needs QUEUE_UPLINK_TOKEN: the token that `queue-server device add "
                                 "--kind uplink` printed on the mirroring server")  # fmt: skip

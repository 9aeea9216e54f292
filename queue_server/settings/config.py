"""One configuration object. The command line and the environment map onto it here and nowhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from queue_server.settings.sitefile import DEMO_SITE


@dataclass
class Config:
    database: Path = Path("var/queue.sqlite3")
    site_files: list[Path] = field(default_factory=lambda: [DEMO_SITE])
    host: str = "127.0.0.1"
    port: int = 8000
    demo: bool = False
    # "NORMAL" survives a killed process (WAL); "FULL" also survives a power cut, at some cost per commit.
    synchronous: str = "NORMAL"
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
    # A line per HTTP request costs ~15 % of the requests a server can answer (docs/benchmarks.md) and would
    # write citizens' ticket links (/t/{token}) to the log; privileged actions are in the audit log anyway.
    access_log: bool = False
    sound_cache: Path | None = None  # announcement WAVs and extra words; default: "sound-cache" beside the database

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Config:
        """Settings from QUEUE_* environment variables (see docs/configuration.md), then explicit overrides."""
        env = dict(os.environ if env is None else env)
        config = cls()
        if "QUEUE_DATABASE" in env:
            config.database = Path(env["QUEUE_DATABASE"])
        if "QUEUE_SITE_FILES" in env:
            config.site_files = [Path(p) for p in env["QUEUE_SITE_FILES"].split(os.pathsep) if p]
        if "QUEUE_HOST" in env:
            config.host = env["QUEUE_HOST"]
        if "PORT" in env:
            config.port = int(env["PORT"])
        if "QUEUE_SYNCHRONOUS" in env:
            config.synchronous = env["QUEUE_SYNCHRONOUS"].upper()
        if "QUEUE_ACCESS_LOG" in env:
            flag = env["QUEUE_ACCESS_LOG"].strip().lower()
            if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
                raise ValueError(f"QUEUE_ACCESS_LOG must be 1 or 0 (or true/false), got {flag!r}")
            config.access_log = flag in ("1", "true", "yes", "on")
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        config.validate()
        return config

    def validate(self) -> None:
        if self.synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, got {self.synchronous!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0-65535, got {self.port}")
        if not self.site_files:
            raise ValueError("at least one site file is needed")

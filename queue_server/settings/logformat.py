"""How the server's log lines look: uvicorn's plain text (the default), or one JSON object per line
(`--log-format json`) for a log collector (journald, Loki, Elasticsearch) to parse without patterns."""

from __future__ import annotations

import copy
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
OWN_PACKAGES = ("queue_server", "citizen", "display", "supervisor", "counter_client")  # their loggers' roots


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message"} and, when there is one, "exception" (the traceback as text)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_config(log_format: str, level: str) -> dict[str, Any] | None:
    """uvicorn's `log_config` for the format: None keeps uvicorn's own (text); "json" sends every logger (ours,
    uvicorn's, the access log's when it is on) through JsonFormatter to standard error."""
    if log_format == "text":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def text_config(uvicorn_default: dict[str, Any], level: str) -> dict[str, Any]:
    """uvicorn's own text format, each line with its time, and the server's and the pages' own loggers
    (OWN_PACKAGES) through a handler of their own. Under systemd (JOURNAL_STREAM set) the journal stamps every line
    already, so no time is added."""
    config = copy.deepcopy(uvicorn_default)
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    for formatter in config.get("formatters", {}).values():
        if "fmt" in formatter:
            formatter["fmt"] = stamp + formatter["fmt"]
    config.setdefault("formatters", {})["plain"] = {"format": stamp + "%(levelname)s %(name)s: %(message)s"}
    config.setdefault("handlers", {})["plain"] = {
        "class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"
    }  # fmt: skip
    # Ours and the pages' loggers get the handler; the root keeps whatever it has (a test's log capture). They still
    # propagate: with nothing on the root (a served mall) a line is written once.
    own = {"handlers": ["plain"], "level": level.upper(), "propagate": True}
    config["loggers"] = {**config.get("loggers", {}), **{name: dict(own) for name in OWN_PACKAGES}}
    return config

"""The server's garbage collector settings (settings/runtime.py): no full collection by itself during the day, and a
collection long enough to be felt at a counter is logged."""

from __future__ import annotations

import gc
import logging

import pytest

from queue_server.settings import runtime


def test_no_full_collection_runs_by_itself() -> None:
    """Python runs a full collection once the young one has run `threshold2` times; at 2**30 young collections
    (one per 20,000 allocations) that is never: over 10**14 allocations, years of a busy server. The engine runs
    one each night instead."""
    young, middle, full = runtime.GC_THRESHOLDS
    assert young * middle * full > 10**14


@pytest.mark.parametrize(("generation", "level"), [(1, logging.WARNING), (2, logging.INFO)])
def test_a_slow_collection_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, generation: int, level: int
) -> None:
    monkeypatch.setattr(runtime, "SLOW_COLLECTION_SECONDS", 0.0)  # every collection counts as slow here
    caplog.set_level(logging.INFO, logger=runtime.__name__)
    gc.callbacks.append(runtime._time_collections)  # noqa: SLF001 - what tune_gc installs, without freezing pytest
    try:
        gc.collect(generation)
    finally:
        gc.callbacks.remove(runtime._time_collections)  # noqa: SLF001
    said = [r for r in caplog.records if f"generation {generation} took" in r.getMessage()]
    assert said and said[0].levelno == level

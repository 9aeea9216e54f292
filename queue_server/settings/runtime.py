"""Process-wide settings of the server process (not of tests that run servers in their own process)."""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

# Young collections every 20,000 net new container objects instead of 700. A request allocates and frees
# hundreds of objects; at the default, issuing ran ~85 young collections a second and a full collection every
# ~1.5 s that stopped the loop for ~46 ms (the p99 of issuing). Measured in docs/benchmarks.md.
# No full collection by itself during the day (the third threshold is never reached): a full collection scans
# every object the day has created, and on a server holding 300 malls' day (millions of objects) it stopped the
# event loop for up to ~1.5 s, several times an hour. Young collections still free the short-lived reference
# cycles of requests; what reaches the old generation is nearly all alive (the day's tickets), and the engine runs
# one full collection each night, when the day is forgotten (pipeline/engine.py close_past_days).
GC_THRESHOLDS = (20_000, 20, 2**30)
SLOW_COLLECTION_SECONDS = 0.1  # a collection that stopped the loop this long is logged


def tune_gc() -> None:
    """Call once the server has started: what is alive then (modules, site model, the loaded day) lives as long
    as the process, so it is moved out of the collector's way (gc.freeze) instead of being scanned again and again."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.collect()
    gc.freeze()
    if _time_collections not in gc.callbacks:
        gc.callbacks.append(_time_collections)


_started = 0.0


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    """Log a collection that stopped the event loop long enough for a person at a counter to notice."""
    global _started  # noqa: PLW0603 - one collection at a time, in the one thread that runs Python here
    if phase == "start":
        _started = time.perf_counter()
        return
    took = time.perf_counter() - _started
    if took >= SLOW_COLLECTION_SECONDS:
        generation = info.get("generation", -1)
        # A full collection is the nightly one (the day forgotten); a slow young one is worth a look.
        log.log(logging.INFO if generation == 2 else logging.WARNING,
                "garbage collection of generation %d took %.0f ms (%d objects freed)",
                generation, took * 1000, info.get("collected", 0))  # fmt: skip

"""Process-wide settings of the server process (not of tests that run servers in their own process)."""

from __future__ import annotations

import gc

# Young collections every 20,000 net new container objects instead of 700. A request allocates and frees
# hundreds of objects; at the default, issuing ran ~85 young collections a second and a full collection every
# ~1.5 s that stopped the loop for ~46 ms (the p99 of issuing). Measured in docs/benchmarks.md.
GC_THRESHOLDS = (20_000, 20, 10)


def tune_gc() -> None:
    """Call once the server has started: what is alive then (modules, site model, the loaded day) lives as long
    as the process, so it is moved out of the collector's way (gc.freeze) instead of being scanned again and again."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.collect()
    gc.freeze()

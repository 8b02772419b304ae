"""How many threads the engine's parallel kernels use, chosen from what the cores give.

A parallel kernel splits its work evenly over its threads and returns when the last
share is done. When another process holds a core, that thread's share waits for a time
slice, and every one of the prover's thousands of parallel calls pays for it: on this
2-core machine with one core busy, a k = 14 proof took 2.6 s on two threads against
1.4 s on one (0.9 s on two when idle). :func:`adapt_threads` therefore times a short
parallel and serial field multiplication and drops to one thread while parallel is
clearly slower. ``ZKML_THREADS`` fixes the count instead.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache

import numba
import numpy as np

#: rows of the probe multiplication: large enough to split, ~0.1 ms serial
PROBE_ROWS = 1 << 14
#: one thread only when parallel is this many times slower than serial: contention
#: makes it ~100x slower, while a transient hiccup must not cost an idle machine its
#: second core
SLOWER = 2.0


def _probe(kernel, a: np.ndarray, out: np.ndarray, p: np.ndarray, inv: np.uint64,
           reps: int = 3) -> float:
    """Median seconds of ``reps`` calls (a lucky call must not hide a busy core; a
    probe costs ~50 ms when a core is busy, 1 ms when idle)."""
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        kernel(a, a, out, p, inv)
        times.append(time.perf_counter() - t)
    return sorted(times)[reps // 2]


@lru_cache(maxsize=1)
def _probe_rows() -> np.ndarray:
    from zkml_core.arith.field import BN254_FR

    return BN254_FR.random(PROBE_ROWS)


def adapt_threads() -> int:
    """Set and return the thread count for the next long step (see the module doc)."""
    most = numba.config.NUMBA_NUM_THREADS
    fixed = os.environ.get("ZKML_THREADS")
    if fixed:
        try:
            n = max(1, min(most, int(fixed)))
        except ValueError:
            n = most
        numba.set_num_threads(n)
        return n
    if most == 1:
        return 1
    from zkml_core.arith import kernels as K
    from zkml_core.arith.field import BN254_FR as F

    a = _probe_rows()
    out = np.empty_like(a)
    numba.set_num_threads(most)
    serial = _probe(K.mul_arr_serial, a, out, F._p, F._inv)
    parallel = _probe(K.mul_arr_parallel, a, out, F._p, F._inv)
    n = 1 if parallel > SLOWER * serial else most
    numba.set_num_threads(n)
    return n

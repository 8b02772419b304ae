"""Arithmetic engine benchmark (issue 3): field mul, NTT, MSM, with references.

Prints one JSON object (``--json``) or one line per figure. Every figure is the median
of ``--repeat`` runs after a warm-up call (so numba compilation is not timed).

This machine's cores are shared, so single-thread figures (``fr_mul_ns``, ``ntt_*_s``,
``*_1thread_s`` and the two references) are the calling thread's CPU time
(``time.thread_time``) with ``numba.set_num_threads(1)`` (the work then runs on the
calling thread): they leave out time spent waiting for a core. ``*_wall_s``,
``msm_bn254_2_16_s`` and ``msm_pallas_2_16_s`` are wall-clock with every numba thread
and depend on the machine's load (``load_avg_1min``). References from the same run:
``py_ecc_g1_add_us`` (py_ecc.optimized_bn128 Jacobian add) and ``pyint_fr_mul_ns``
(Python ``a * b % r``). Targets (2-core machine, single thread): fr_mul_ns <= 15,
ntt_2_16_s <= 0.018, msm_bn254_2_16_1thread_s <= 0.2.

    python benchmarks/arith.py [--json] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numba
import numpy as np
from py_ecc import optimized_bn128 as ob

from zkml_core.arith import kernels as K
from zkml_core.arith import poly
from zkml_core.arith.curve import BN254_G1, PALLAS
from zkml_core.arith.field import BN254_FR


def median_time(fn, repeat: int, clock=time.perf_counter) -> float:
    fn()  # warm-up: compilation, twiddle tables
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)


def cpu_1thread(fn, repeat: int) -> float:
    """Median CPU seconds of fn on this thread with one numba thread."""
    prev = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return median_time(fn, repeat, time.thread_time)
    finally:
        numba.set_num_threads(prev)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per figure")
    args = ap.parse_args()
    rep = args.repeat
    rng = np.random.default_rng(0)
    F = BN254_FR
    res: dict[str, float] = {"threads": numba.get_num_threads(),
                             "load_avg_1min": os.getloadavg()[0]}

    # the multiplication kernel into a preallocated output (2^14 elements, cache-resident,
    # 64 calls a run); fr_mul_api_ns: F.mul on 2^20 elements, whose fresh output array
    # adds the page faults of a 32 MB allocation
    n = 1 << 14
    a, b = F.random(n, rng), F.random(n, rng)
    out = np.empty_like(a)
    res["fr_mul_ns"] = cpu_1thread(
        lambda: [K.mul_arr(a, b, out, F._p, F._inv) for _ in range(64)], rep) / (64 * n) * 1e9
    a, b = F.random(1 << 20, rng), F.random(1 << 20, rng)
    res["fr_mul_api_ns"] = cpu_1thread(lambda: F.mul(a, b), rep) / (1 << 20) * 1e9

    xs = [int(x) for x in rng.integers(1, 2**62, 1000)]
    ys = [(x * 0x9E3779B97F4A7C15 + 12345) ** 4 % F.p for x in xs]
    res["pyint_fr_mul_ns"] = median_time(
        lambda: [x * y % F.p for x, y in zip(xs, ys, strict=True)], rep,
        time.thread_time) / len(xs) * 1e9

    for lg in (16, 18):
        c = F.random(1 << lg, rng)
        res[f"ntt_2_{lg}_s"] = cpu_1thread(lambda c=c: poly.ntt(F, c), rep)
        res[f"ntt_2_{lg}_wall_s"] = median_time(lambda c=c: poly.ntt(F, c), rep)

    m = 1 << 16
    for C, key in ((BN254_G1, "bn254"), (PALLAS, "pallas")):
        pts = C.batch_mul(C.scalar_field.random(m, rng))
        sc = C.scalar_field.random(m, rng)
        res[f"msm_{key}_2_16_s"] = median_time(lambda C=C, p=pts, s=sc: C.msm(p, s), rep)
        res[f"msm_{key}_2_16_1thread_s"] = cpu_1thread(lambda C=C, p=pts, s=sc: C.msm(p, s), rep)

    g2 = ob.double(ob.G1)
    res["py_ecc_g1_add_us"] = median_time(
        lambda: [ob.add(ob.G1, g2) for _ in range(200)], rep, time.thread_time) / 200 * 1e6
    res["msm_1thread_vs_py_ecc_adds"] = res["msm_bn254_2_16_1thread_s"] / (
        m * res["py_ecc_g1_add_us"] * 1e-6)

    res = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in res.items()}
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:28s} {v}")


if __name__ == "__main__":
    main()

"""Arithmetic engine benchmark: field mul, NTT, MSM, with references measured in the same run.

    python benchmarks/arith.py --json

Prints one JSON object (medians over --repeat runs). ``*_1thread_s`` rows pin numba to
one thread; the others use every core. References: py_ecc's optimized G1 addition and
a Python-int modular multiplication, so ratios stay meaningful across machines.
Targets (2-core machine, single thread): fr_mul_ns <= 15, ntt_2_16_1thread_s <= 0.018,
msm_bn254_2_16_1thread_s <= 0.2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numba
import numpy as np


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from py_ecc import optimized_bn128 as ob

    from zkml_core.arith import kernels as K
    from zkml_core.arith import poly
    from zkml_core.arith.curve import BN254_G1, PALLAS
    from zkml_core.arith.field import BN254_FR as F

    rng = np.random.default_rng(0)
    res: dict[str, float] = {"threads": numba.get_num_threads()}
    full = numba.get_num_threads()

    n = 1 << 20
    a, b = F.random(n, rng), F.random(n, rng)
    out = np.empty_like(a)
    numba.set_num_threads(1)
    res["fr_mul_ns"] = median_time(lambda: K.mul_arr(a, b, out, F._p, F._inv), args.repeat) / n * 1e9
    numba.set_num_threads(full)

    for lg in (16, 18):
        c = F.random(1 << lg, rng)
        res[f"ntt_2_{lg}_s"] = median_time(lambda c=c: poly.ntt(F, c), args.repeat)
        numba.set_num_threads(1)
        res[f"ntt_2_{lg}_1thread_s"] = median_time(lambda c=c: poly.ntt(F, c), args.repeat)
        numba.set_num_threads(full)

    m = 1 << 16
    pts = BN254_G1.batch_mul(BN254_G1.scalar_field.random(m, rng))
    sc = BN254_G1.scalar_field.random(m, rng)
    res["msm_bn254_2_16_s"] = median_time(lambda: BN254_G1.msm(pts, sc), args.repeat)
    numba.set_num_threads(1)
    res["msm_bn254_2_16_1thread_s"] = median_time(lambda: BN254_G1.msm(pts, sc), args.repeat)
    numba.set_num_threads(full)
    ppts = PALLAS.batch_mul(PALLAS.scalar_field.random(m, rng))
    psc = PALLAS.scalar_field.random(m, rng)
    res["msm_pallas_2_16_s"] = median_time(lambda: PALLAS.msm(ppts, psc), args.repeat)

    # references, same run
    g2 = ob.double(ob.G1)
    reps = 2000
    res["py_ecc_g1_add_us"] = median_time(
        lambda: [ob.add(ob.G1, g2) for _ in range(reps)], args.repeat) / reps * 1e6
    x, y, p = F.p - 12345, F.p // 3, F.p
    res["pyint_fr_mul_ns"] = median_time(
        lambda: [x * y % p for _ in range(100000)], args.repeat) / 100000 * 1e9
    res["msm_vs_py_ecc_adds"] = res["msm_bn254_2_16_1thread_s"] / (m * res["py_ecc_g1_add_us"] * 1e-6)

    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:28s} {v:.6g}")


if __name__ == "__main__":
    main()

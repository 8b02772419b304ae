"""Compile every arithmetic kernel once (``warmup``), so later calls start fast.

All fields share one signature per kernel (uint64 arrays, the modulus as data) and all
curves share the curve kernels, so one small call per kernel covers every field and
curve. With numba's on-disk cache (``NUMBA_CACHE_DIR`` respected) a second process
only loads the machine code.

    python -m zkml_core.arith.compile_all
"""

from __future__ import annotations

import time

import numpy as np


def _fields() -> None:
    from zkml_core.arith.field import BN254_FR as F

    a = F.from_ints([3, -5, 7, 11])
    b = F.from_ints(np.array([-2, 3, 4, 5], dtype=np.int64))
    F.from_ints(np.array([2, 3], dtype=np.uint32))
    for r in (F.add(a, b), F.sub(a, b), F.neg(a), F.mul(a, b), F.pow(a, 5), F.inv(a),
              F.sum(a), F.inner(a, b), F.powers(3, 4), F.random(2, np.random.default_rng(0))):
        F.to_ints(r)
    F.to_int64(b)
    F.mul(F.zeros(1 << 14), F.zeros(1 << 14))  # the threaded kernel (large arrays only)
    F.from_bytes(F.to_bytes(a))


def _polys() -> None:
    from zkml_core.arith import poly
    from zkml_core.arith.field import BN254_FR as F

    c = F.from_ints(range(8))
    poly.coset_intt(F, poly.coset_ntt(F, c, 4, F.generator), F.generator)
    poly.intt(F, poly.ntt(F, c))
    poly.evaluate(F, c, 5)
    poly.divide_by_linear(F, c, 5)


def _curves() -> None:
    from zkml_core.arith.curve import BN254_G1 as C

    s = C.scalar_field.from_ints([1, 2, 3])
    pts = C.batch_mul(s)
    C.double(C.add(pts, pts))
    C.scalar_mul(pts, s)
    C.mul_by(pts, 5)
    C.decode(C.encode(pts))
    C.is_on_curve(pts)
    C.msm(pts, s)


GROUPS = (("fields", _fields), ("polynomials", _polys), ("curves", _curves))


def warmup(progress=None) -> dict[str, float]:
    """Compile every kernel; ``progress(name)`` is called before each group."""
    times = {}
    for name, fn in GROUPS:
        if progress is not None:
            progress(name)
        t = time.perf_counter()
        fn()
        times[name] = round(time.perf_counter() - t, 3)
    return times


if __name__ == "__main__":
    print(warmup(lambda name: print(f"compiling {name} ...", flush=True)))

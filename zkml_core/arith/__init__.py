"""The numba arithmetic engine: prime fields, polynomials, curves, MSM (docs/arith.md).

Importing compiles nothing; kernels compile (or load from numba's cache) on first use,
or all at once through :func:`warmup`.
"""

from __future__ import annotations


def warmup(progress=None) -> dict[str, float]:
    """Compile (or load from the cache) every kernel once; seconds per group."""
    from zkml_core.arith.compile_all import warmup as _warmup

    return _warmup(progress)

"""Fixed-point integer helpers shared by the layers' ``forward_int`` (zkml's semantics).

Every value is an int64 at the model's scale factor ``sf``. Products carry scale sf^2 and
are brought back with round-half-up division, zkml's ``rounded_div``:
``round_half_up(a / b) = floor((2a + b) / (2b))`` for b > 0, negative ``a`` included.
"""

from __future__ import annotations

import numpy as np

from zkml_core.errors import ModelError

_LIMIT = 2**62  # headroom below 2^63 so that the remainder step below cannot overflow


def div_round_half_up(a: np.ndarray | int, b: int) -> np.ndarray:
    """``floor(a / b + 1/2)`` elementwise, exactly, for int64 ``a`` and an integer ``b > 0``.

    Computed as ``q + (2r >= b)`` with ``a = q*b + r``, ``0 <= r < b`` (floor division),
    which equals ``floor((2a + b) / (2b))`` without forming ``2a``.
    """
    b = int(b)
    if b <= 0:
        raise ValueError(f"divisor must be positive, got {b}")
    q, r = np.divmod(np.asarray(a, dtype=np.int64), np.int64(b))
    return q + (2 * r >= b)


def max_abs(x: np.ndarray) -> int:
    """The largest |value| of an integer array as a Python int (0 when empty)."""
    if x.size == 0:
        return 0
    return max(abs(int(x.min())), abs(int(x.max())))


def check_product_fits(what: str, a: np.ndarray, b: np.ndarray, terms: int = 1) -> None:
    """Raise a :class:`ModelError` if a sum of ``terms`` products of ``a`` and ``b`` values
    could leave int64 (the witness would silently wrap around)."""
    bound = max_abs(a) * max_abs(b) * max(terms, 1)
    if bound >= _LIMIT:
        raise ModelError(
            f"{what}: values up to {max_abs(a)} and {max_abs(b)} over {terms} products "
            f"could reach {bound}, beyond 64-bit integers; use a smaller scale factor")


_EXACT_F64 = 2**53  # integers up to here, and sums staying below it, are exact in float64


def exact_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for int64 arrays (float arrays: plain matmul), exactly, through float64 BLAS when every partial sum is
    below 2^53 (then each product and sum is an exactly represented integer, in any
    summation order), else with numpy's int64 loop. Callers check int64 overflow first
    (:func:`check_product_fits`)."""
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return np.matmul(a, b)  # float reference runs pass through
    inner = a.shape[-1]
    if max_abs(a) * max_abs(b) * max(inner, 1) < _EXACT_F64:
        return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    return np.matmul(a, b)


def exact_einsum(subscripts: str, a: np.ndarray, b: np.ndarray, terms: int) -> np.ndarray:
    """``np.einsum`` of two int64 arrays summing ``terms`` products per output, through
    float64 when every partial sum stays below 2^53 (exact), else in int64."""
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return np.einsum(subscripts, a, b)
    if max_abs(a) * max_abs(b) * max(terms, 1) < _EXACT_F64:
        return np.einsum(subscripts, a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    return np.einsum(subscripts, a, b)


def broadcast(what: str, *arrays: np.ndarray) -> list[np.ndarray]:
    """numpy-style broadcast (as zkml's ``broadcast`` helper) with a clear error."""
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError as exc:
        shapes = " and ".join(str(list(a.shape)) for a in arrays)
        raise ModelError(f"{what}: shapes {shapes} do not broadcast") from exc

"""zkml's lookup-table nonlinearities, computed directly instead of through the table.

zkml tabulates y(x) for every x in [min_val, max_val] (the 2^k - 9 rows of the range
table) as ``round(f(x / sf) * out_scale) as i64`` in f64: Rust's ``round`` (ties away from
zero) and its saturating cast (NaN -> 0, +-inf -> i64 max/min); the row of x = min_val is
forced to 0. An input outside the table has no row: the witness cannot be built.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from zkml_core.errors import ModelError
from zkml_core.model.circuit import take

_I64_MAX = np.iinfo(np.int64).max
_I64_MIN = np.iinfo(np.int64).min


def rust_round_i64(v: np.ndarray) -> np.ndarray:
    """``v.round() as i64`` in Rust: ties away from zero, saturating, NaN -> 0."""
    v = np.asarray(v, dtype=np.float64)
    t = np.trunc(v)
    with np.errstate(invalid="ignore"):  # inf - inf; the inf itself is handled below
        frac = v - t  # exact in binary floating point
    r = np.where(np.abs(frac) >= 0.5, t + np.sign(v), t)
    nan = np.isnan(r)
    high = r >= 2.0**63
    low = r < -(2.0**63)
    safe = np.where(nan | high | low, 0.0, r).astype(np.int64)
    return np.where(high, _I64_MAX, np.where(low, _I64_MIN, safe))


def check_table_range(what: str, x: np.ndarray, ctx) -> None:
    """Every input must have a row in the table: min_val <= x <= max_val."""
    if x.size == 0:
        return
    lo, hi = int(x.min()), int(x.max())
    if lo < ctx.min_val or hi > ctx.max_val:
        bad = lo if lo < ctx.min_val else hi
        raise ModelError(
            f"{what}: input value {bad} is outside the lookup table range "
            f"[{ctx.min_val}, {ctx.max_val}] of k={ctx.k}; use a larger k (or a smaller "
            "scale factor)")


# Scalar f64 functions with Rust's results: the C library's exp / tanh / pow (as Rust's
# f64 methods call them; numpy's vectorised versions may differ in the last bit, which
# changes the integer for large cubes), IEEE sqrt, and inf / NaN where Python raises.

def f64_exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def f64_sqrt(v: float) -> float:
    return math.sqrt(v) if v >= 0 else math.nan


def f64_rsqrt(v: float) -> float:
    root = f64_sqrt(v)
    return math.inf if root == 0 else 1.0 / root


def f64_sigmoid(v: float) -> float:
    return 1.0 / (1.0 + f64_exp(-v))


def f64_cube(v: float) -> float:
    try:
        return math.pow(v, 3.0)
    except OverflowError:
        return math.copysign(math.inf, v)


def table_lookup(what: str, x: np.ndarray, fn: Callable[[float], float], out_scale: int,
                 ctx) -> np.ndarray:
    """The table value of every int64 input, exactly as zkml's map holds it: ``fn`` is
    applied per value in f64 as zkml's Rust code does."""
    check_table_range(what, x, ctx)
    scaled = x.astype(np.float64) / float(ctx.scale_factor)
    with np.errstate(all="ignore"):  # libm sets FP flags on overflow; inf is intended
        y = np.asarray(np.frompyfunc(fn, 1, 1)(scaled), dtype=np.float64) * float(out_scale)
    out = rust_round_i64(y)
    return np.where(x == ctx.min_val, 0, out)


def apply_value_mask(x: np.ndarray, mask: tuple[int, ...], ctx) -> np.ndarray:
    """zkml's Sqrt/Rsqrt mask: pairs (flat index, +1 | -1) replace the input with
    max_val (+1) or min_val (-1) before the lookup."""
    if not mask:
        return x
    flat = x.reshape(-1).copy()
    for idx, sign in zip(mask[0::2], mask[1::2], strict=True):
        flat[idx] = ctx.max_val if sign == 1 else ctx.min_val
    return flat.reshape(x.shape)


def mask_cells(x, mask: tuple[int, ...], ctx):
    """``apply_value_mask`` on cells: the masked positions read a constant cell holding
    max_val (+1) or min_val (-1), bound by the verifying key; no rows."""
    from zkml_plugins.layers._common import flat_join

    n = x.cells.size
    index = np.arange(n, dtype=np.int64)
    pos, sign = np.asarray(mask[0::2], np.int64), np.asarray(mask[1::2], np.int64)
    # the last pair of a position wins, as in apply_value_mask's loop
    where, last = np.unique(pos[::-1], return_index=True)
    index[where] = np.where(sign[::-1][last] == 1, n, n + 1)
    bounds = ctx.constant([ctx.max_val, ctx.min_val])
    return take(flat_join([x, bounds]), index.reshape(x.shape))


def check_value_mask(mask: tuple[int, ...], size: int) -> None:
    if len(mask) % 2:
        raise ModelError(f"mask must hold (flat index, +1 | -1) pairs, got {len(mask)} values")
    for idx, sign in zip(mask[0::2], mask[1::2], strict=True):
        if not 0 <= idx < size or sign not in (1, -1):
            raise ModelError(f"bad mask pair ({idx}, {sign}) for an input of {size} values")


class TableLayer:
    """Mixin for one-input lookup layers: ``function`` (numpy, float64) is the reference
    (``forward_float``) and ``table_function`` (one f64 value, Rust's results) makes the
    table (``forward_int``) at scale sf.

    Subclasses also derive from :class:`zkml_core.interfaces.Layer` and set ``name``,
    ``function``, ``table_function``, ``gadget`` and ``masked`` (whether ``mask`` holds Sqrt/Rsqrt pairs).
    """

    function: Callable[[np.ndarray], np.ndarray]
    table_function: Callable[[float], float]
    gadget: str = ""
    masked: bool = False

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self._check_spec(spec)

    @classmethod
    def from_tflite(cls, op, ctx):
        return ctx.layer(cls.name, op)

    def _check_spec(self, spec) -> None:
        from zkml_plugins.layers._common import expect_inputs

        expect_inputs(spec, (1,), "input")
        if spec.params:
            raise ModelError(f"params must be [], got {list(spec.params)}")
        if self.masked:
            check_value_mask(spec.mask, int(np.prod(spec.inp_shapes[0])))
        elif spec.mask:
            raise ModelError(f"mask must be [], got {list(spec.mask)}")

    def forward_int(self, inputs, ctx):
        x = apply_value_mask(inputs[0], self.spec.mask, ctx) if self.masked else inputs[0]
        return [table_lookup(self.name, x, type(self).table_function, ctx.scale_factor, ctx)]

    def forward_float(self, inputs, ctx):
        with np.errstate(all="ignore"):
            return [type(self).function(inputs[0])]

    def gadgets(self, ctx):
        return [self.gadget]

    def synthesize(self, inputs, ctx):
        """One lookup per value in the gadget's table, which holds the same values as
        ``table_lookup`` (and range-checks the input)."""
        x = inputs[0]
        if self.masked and self.spec.mask:
            x = mask_cells(x, self.spec.mask, ctx)
        return [ctx.gadget(self.gadget).assign(ctx.layouter, x)]

"""Lookup-table nonlinearities: ``y = f(x)`` as a tuple lookup ``(x - min_val, y)`` in
``(T, F)``, 2 columns per op, every op of a row looked up.

``T`` is the shared range table (``input_lookup``) and ``F[i] = f(i + min_val)`` the
gadget's own table column, so the lookup also proves ``min_val <= x <= max_val``. Row 0
(x = min_val) is forced to 0, zkml's convention, which also makes ``(0, 0)`` a table row:
the lookup input of rows the selector leaves off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from zkml_plugins.gadgets._ops import RowOpGadget

from zkml_core.plonk.gadgets import GadgetConfig


class TableGadget(RowOpGadget):
    """Subclasses set ``name``, ``description`` and ``function(x, sf)``: the int64 table
    values for int64 inputs ``x`` at scale factor ``sf``."""

    width, n_inputs = 2, 1
    requires: ClassVar[tuple[str, ...]] = ("input_lookup",)

    @staticmethod
    def function(x: np.ndarray, sf: int) -> np.ndarray:
        raise NotImplementedError

    def constrain(self, cs: Any, q: Any, slots: list[list[Any]]) -> None:
        t = self.config.range_table(cs)
        self.table = cs.table_column(f"{self.name}_table")
        lo = self.config.min_val
        for j, (x, y) in enumerate(slots):
            cs.lookup(f"{self.name} op{j}", [(q * (x - lo), t), (q * y, self.table)])

    def table_values(self) -> np.ndarray:
        """F[i] = f(i + min_val) for i in 0 .. num_rows-1, F[0] = 0 (cached per sf, k)."""
        return _table(type(self), self.config.scale_factor, self.config.k)

    def load_tables(self, layouter: Any) -> None:
        layouter.assign_table(self.table, self.table_values())

    def compute(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        cfg = self.config
        self.check_range(f"{self.name} input", x, cfg.min_val, cfg.min_val + cfg.num_rows - 1,
                       "use a larger k (or a smaller scale factor)")
        x = np.clip(x, cfg.min_val, cfg.min_val + cfg.num_rows - 1)  # (keygen zeros stay)
        return (self.table_values()[x - cfg.min_val],)


def rust_round(v: np.ndarray) -> np.ndarray:
    """Rust's ``f64::round() as i64`` elementwise: ties away from zero, saturating at the
    int64 limits, NaN -> 0 (zkml builds its tables this way)."""
    v = np.asarray(v, dtype=np.float64)
    mag = np.abs(v)
    with np.errstate(invalid="ignore"):
        whole = np.floor(mag)
        whole = whole + (mag - whole >= 0.5)  # mag - floor(mag) is exact
    signed = np.copysign(whole, v)
    inside = np.abs(signed) < 2.0**63
    out = np.where(inside, signed, 0.0).astype(np.int64)
    out[~inside & (signed > 0)] = np.iinfo(np.int64).max
    out[~inside & (signed < 0)] = np.iinfo(np.int64).min
    return out


def scaled_table(fn: Callable[[float], float], x: np.ndarray, sf: int, out_scale: int) -> np.ndarray:
    """``round(fn(x / sf) * out_scale)`` per value in f64, ``fn`` a scalar function (the C
    library's, as zkml's Rust calls it: numpy's vectorised exp / tanh may differ in the
    last bit)."""
    v = x.astype(np.float64) / float(sf)
    with np.errstate(all="ignore"):
        y = np.asarray(np.frompyfunc(fn, 1, 1)(v), dtype=np.float64) * float(out_scale)
    return rust_round(y)


@functools.lru_cache(maxsize=32)
def _table(cls: type, sf: int, k: int) -> np.ndarray:
    cfg = GadgetConfig(scale_factor=sf, k=k, columns=[])
    x = np.arange(cfg.num_rows, dtype=np.int64) + cfg.min_val
    values = np.asarray(cls.function(x, sf), dtype=np.int64)
    values[0] = 0
    values.flags.writeable = False
    return values

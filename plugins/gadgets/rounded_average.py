"""RoundedAverage: ``out = clamp(round_half_away(x / count), lo, hi)``, TFLite's int8
AVERAGE_POOL_2D rule for a window sum ``x`` of ``count`` valid taps (count 1: a clamp,
for int8 MAX_POOL_2D's fused activation).

One op per row group (``_rowgroup``), cells ``x out s g u t ep en``; per-op constants in
fixed columns ``CNT`` (count), ``HC = ceil(count / 2)``, ``LO``, ``HI``; selector ``q``.
With ``|x| = count g + r`` and ``r = HC t + u``, on every op:

- gate ``(1 - 2s) x = CNT g + HC t + u``; ``s``, ``t`` boolean;
- lookups in the range table T: ``g``, ``u`` and ``HC - 1 - u - t (2 HC - CNT)``, so
  ``0 <= u < HC`` when ``t = 0`` and ``0 <= u < CNT - HC`` when ``t = 1``: ``0 <= r <
  count`` and ``t = [r >= ceil(count / 2)]``; the rounded magnitude is ``g + t``
  (``floor((|x| + floor(count / 2)) / count)``) and the average ``v = (1 - 2s)(g + t)``;
- clamp: gate ``v = out + ep - en``, lookups ``out - LO``, ``HI - out``, ``ep``, ``en``
  in T and gates ``ep (HI - out) = 0``, ``en (out - LO) = 0``: ``out = v`` inside
  ``[LO, HI]``, else the bound on v's side.

Soundness: ``count g + r >= 0`` fixes the sign ``s`` (either at x = 0, whose average is
0), ``0 <= r < count`` fixes ``g`` and ``r``, and ``u``'s bound fixes ``t``; every value is
small (T holds up to ``2^k - 10``), far from wrapping the field.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from zkml_plugins.gadgets._ops import check_in_range, witness_mode
from zkml_plugins.gadgets._rowgroup import RowGroupGadget

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.plonk.layouter import Assigned


class RoundedAverage(RowGroupGadget):
    name = "rounded_average"
    description = "clamp(round_half_away(x / count), lo, hi): TFLite's int8 average"
    fixed_names = ("CNT", "HC", "LO", "HI")

    def cell_names(self, config: Any) -> list[str]:
        return ["x", "out", "s", "g", "u", "t", "ep", "en"]

    def constrain(self, cs, cell, fixed, sel):
        t_range = self.config.range_table(cs)
        q, f = sel["q"], fixed
        x, out, s, g, u, t, ep, en = (cell[n] for n in self.names)
        sign = 1 - 2 * s
        cs.create_gate(self.name, [
            ("division", q * sign * x - f["CNT"] * g - f["HC"] * t - q * u),
            ("s boolean", q * s * (s - 1)),
            ("t boolean", q * t * (t - 1)),
            ("clamp", q * (sign * (g + t) - out - ep + en)),
            ("at hi", q * ep * (f["HI"] - out)),
            ("at lo", q * en * (out - f["LO"])),
        ])
        for what, expr in (("quotient", q * g), ("remainder", q * u),
                           ("remainder bound", f["HC"] - q - q * u - t * (2 * f["HC"] - f["CNT"])),
                           ("out >= lo", q * out - f["LO"]), ("out <= hi", f["HI"] - q * out),
                           ("above hi", q * ep), ("below lo", q * en)):
            cs.lookup(f"{self.name} {what}", [(expr, t_range)])

    def assign(self, layouter: Any, x: Assigned, count: Any, lo: int = -128,
               hi: int = 127) -> Assigned:
        """``clamp(round_half_away(x / count), lo, hi)`` for ``x`` of any shape and
        ``count`` an int or an int array broadcasting to it (SAME pools' valid taps)."""
        if not lo <= hi:
            raise CircuitError(f"{self.name}: clamp [{lo}, {hi}] is empty")
        shape = x.shape
        m = math.prod(shape)
        cnt = np.broadcast_to(np.asarray(count, dtype=np.int64), shape).reshape(m)
        rows = self.config.num_rows
        if m and (cnt.min() < 1 or cnt.max() >= rows or max(abs(lo), abs(hi)) >= rows // 2):
            raise CircuitError(f"{self.name}: counts must lie in [1, {rows - 1}] and the clamp "
                               f"within +-{rows // 2} at k = {self.config.k}")
        hc = (cnt + 1) // 2
        fixed = {"CNT": cnt, "HC": hc, "LO": np.full(m, lo, np.int64),
                 "HI": np.full(m, hi, np.int64)}
        v = np.asarray(x.values, dtype=np.int64).reshape(m)
        s = (v < 0).astype(np.int64)
        g, r = np.divmod(np.abs(v), cnt)
        if witness_mode(layouter):
            check_in_range(f"{self.name} quotient", g, 0, rows - 1, "use a larger k")
        t = (r >= hc).astype(np.int64)
        avg = (1 - 2 * s) * (g + t)
        out = np.clip(avg, lo, hi)
        values = {"x": v, "out": out, "s": s, "g": g, "u": r - hc * t, "t": t,
                  "ep": np.maximum(avg - hi, 0), "en": np.maximum(lo - avg, 0)}
        cells = self.lay_out(layouter, values, fixed, {"q": np.ones(m, bool)},
                             {"x": x.cells.reshape(m)})
        return cells["out"].reshape(*shape)


@hookimpl
def zkml_register_gadgets():
    return [RoundedAverage]

"""Requantize: TFLite's int8 requantisation of an int32 accumulator, bit for bit.

For an accumulator ``acc`` (a cell), per-op constants (multiplier ``M`` in [2^30, 2^31)
or 0, ``shift``, zero points, clamp ``[lo, hi]``) and one of two roundings:

- **double** (``MultiplyByQuantizedMultiplier``, CONV_2D, ADD, MUL):
  ``q1 = SaturatingRoundingDoublingHighMul((acc - zp_in) 2^left, M)``, then
  ``q2 = RoundingDivideByPOT(q1, right)``, ``left = max(shift, 0)``,
  ``right = max(-shift, 0)``;
- **single** (int8 FULLY_CONNECTED in ai-edge-litert 2.3): ``q2 =
  round_half_away((acc - zp_in) M 2^(shift - 31))``;

then ``out = clamp(zp_out + q2, lo, hi)`` (``clamp=True``) or ``out = q2`` (``clamp=False``,
ADD's unclamped rescaled inputs).

Arithmetic (checked against :mod:`zkml_core.convert.tflite_quant` in the tests). The
high multiply is ``floor((x M + 2^30) / 2^31)`` (TFLite's nudge and truncation toward
zero give exactly this), RoundingDivideByPOT is ``sign(q1) floor((|q1| + H) / D)`` with
``D = 2^right``, ``H = D / 2`` (H = 0 when right = 0), and the single rounding is the
same second step after a truncating first one: with ``X = (acc - zp_in) M 2^P``
(``P = shift + 1`` when shift >= 0, then right = 1), ``q1 = trunc(X / 2^31)``. So both
are, with ``M1 = M 2^P``, ``C`` and ``S`` per-op constants (double: P = left,
C = 2^30 - zp_in M1, S = 0; single: C = -zp_in M1, S = 2^31 - 1):

    stage 1:  acc M1 + C + s S = 2^31 q1 + r1,            0 <= r1 < 2^31
    stage 2:  |q1| = (1 - 2s) q1 = D n + r2,               0 <= r2 < D
              r2 = r2lo + H t,  t in {0, 1},  0 <= r2lo < H     (t = [r2 >= H])
    result:   q2 = (1 - 2s) (n + t)

Cells per op: ``acc out s t nc wc r1_0.. a_0.. d_0..`` (no cell for q1: it is the
expression ``(1 - 2s)(D (nc + d) + sum a_i 2^(B i) + H t)``). Limbs have ``B = k - 1`` bits
and are looked up in the gadget's limb table ``{0 .. 2^B - 1}``; the range table T
(``input_lookup``) checks the small values. Per-op constants sit in fixed columns
(``M1 C S D H ZP U LP G_0..``, zero off the op rows), the two selectors are ``clamp``
and ``raw``, ``Q = clamp + raw``. On every op:

- stage 1 gate ``acc M1 + C + s S - 2^31 (1 - 2s) |q1| - r1 = 0``, with
  ``r1 = sum r1_i 2^(B i)``, every ``r1_i`` in the limb table and the top limb
  ``2^(B - w) r1_top`` too (w = 31 - B (n1 - 1) bits): ``0 <= r1 < 2^31`` exactly;
- ``s, t`` boolean; ``t (D - 2H) = 0`` (t = 0 when right = 0);
- ``r2lo = sum a_i 2^(B i)`` (``ceil(30 / B)`` limbs, right <= 31): every ``a_i`` in the
  limb table, and ``sum G_i a_i`` too, with ``G_i = 0`` below the limb holding bit
  ``right - 2``, ``2^(B - w)`` on it (w its bits in use) and ``2^B`` above it: the
  limbs above are 0 and that one is below ``2^w``, so ``0 <= r2lo < H`` exactly;
- ``n = nc + d``: ``nc`` and ``256 - t - nc`` in T, ``d = sum d_i 2^(B i)`` with limbs in
  the limb table, and (clamp rows) ``(256 - t - nc) d = 0``: so ``nc + t = min(n + t, 256)``;
- clamp rows: ``cap = U + s (LP - U)`` (``U = hi - zp``, ``LP = zp - lo``, the room on
  the output's side), ``cap - wc`` and ``nc + t - wc`` in T, ``(cap - wc)(nc + t - wc)
  = 0``: ``wc = min(n + t, cap)``; and ``out = zp + (1 - 2s) wc``;
- raw rows (U = LP = 0, so wc = 0): ``out = (1 - 2s)(nc + d + t)``.

Soundness. ``acc`` is an integer far below the field size (its cells are sums of
products of range-checked or constant values); every other quantity is bounded by the
lookups, so the equations hold over the integers. Stage 2's right side ``D n + r2`` is >= 0, so
``s = 1`` forces ``q1 <= 0`` and ``s = 0`` forces ``q1 >= 0`` (at ``q1 = 0`` either
sign gives 0). Given acc, stage 1 with ``0 <= r1 < 2^31`` fixes ``q1`` (two solutions
differ by a multiple of 2^31 in r1); for the single rounding a wrong sign is ruled out
because ``q1`` would be ``ceil`` of a positive value (> 0 with s = 1) or ``floor`` of a
negative one (< 0 with s = 0) unless both are 0. Stage 2 then fixes ``n``, ``r2`` and
``t`` (``r2lo < H`` exactly), and the clamp relations fix ``wc`` and ``out``:
``clamp(zp + q2, lo, hi) = zp + (1 - 2s) min(|q2|, cap)`` because ``lo <= zp <= hi``
(required of every requantising layer). TFLite's only saturating case of the high
multiply (both operands -2^31) cannot occur: M >= 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from zkml_plugins.gadgets._ops import witness_mode
from zkml_plugins.gadgets._rowgroup import RowGroupGadget

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.plonk.layouter import Assigned

#: the saturation threshold of |q2| (above any int8 clamp's room)
SATURATE = 256
STAGE1_BITS = 31


def limb_counts(k: int) -> tuple[int, int, int]:
    """(B, limbs of r1, limbs of d) at the circuit's k: B = k - 1 bit limbs covering
    the 31 bits of r1 and of d (|q1| < 2^31)."""
    bits = k - 1
    n = math.ceil(STAGE1_BITS / bits)
    return bits, n, n


def limbs(values: np.ndarray, bits: int, count: int) -> list[np.ndarray]:
    """Little-endian base-2^bits digits of non-negative int64 values."""
    mask = (1 << bits) - 1
    return [(values >> (bits * i)) & mask for i in range(count)]


class Requantize(RowGroupGadget):
    name = "requantize"
    description = "TFLite int8 requantisation (multiplier, shift, rounding, clamp), bit-exact"
    base_fixed = ("M1", "C", "S", "D", "H", "ZP", "U", "LP")
    selector_names = ("clamp", "raw")

    def cell_names(self, config: Any) -> list[str]:
        if config.k < 9:
            raise CircuitError(f"gadget 'requantize' needs k >= 9 (its range checks hold "
                               f"values up to 256), got k = {config.k}")
        self.bits, self.n1, self.nd = limb_counts(config.k)
        self.n2 = math.ceil((STAGE1_BITS - 1) / self.bits)
        self.fixed_names = self.base_fixed + tuple(f"G_{i}" for i in range(self.n2))
        return (["acc", "out", "s", "t", "nc", "wc"] + [f"r1_{i}" for i in range(self.n1)]
                + [f"a_{i}" for i in range(self.n2)] + [f"d_{i}" for i in range(self.nd)])

    def constrain(self, cs, cell, fixed, sel):
        b, f = self.bits, fixed
        self.limb_table = limb_table = self.config.shared_table(cs, "limb_table")
        t_range = self.config.range_table(cs)
        q = sel["clamp"] + sel["raw"]
        s, t, nc, wc = cell["s"], cell["t"], cell["nc"], cell["wc"]
        r1 = sum(cell[f"r1_{i}"] * 2 ** (b * i) for i in range(self.n1))
        d = sum(cell[f"d_{i}"] * 2 ** (b * i) for i in range(self.nd))
        sign = 1 - 2 * s
        # every term has a fixed factor or q: the gates vanish off the op rows
        r2lo = sum(cell[f"a_{i}"] * 2 ** (b * i) for i in range(self.n2))
        absq = f["D"] * (nc + d) + q * r2lo + f["H"] * t
        cap = f["U"] + s * (f["LP"] - f["U"])
        cs.create_gate(self.name, [
            ("stage 1", cell["acc"] * f["M1"] + f["C"] + s * f["S"]
             - 2**STAGE1_BITS * sign * absq - q * r1),
            ("s boolean", q * s * (s - 1)),
            ("t boolean", q * t * (t - 1)),
            ("t = 0 without rounding", t * (f["D"] - 2 * f["H"])),
            ("saturation", sel["clamp"] * (SATURATE - t - nc) * d),
            ("min", q * (cap - wc) * (nc + t - wc)),
            ("output", sel["clamp"] * (cell["out"] - f["ZP"] - sign * wc)
             + sel["raw"] * (cell["out"] - sign * (nc + d + t))),
        ])
        top = STAGE1_BITS - b * (self.n1 - 1)
        for i in range(self.n1):
            cs.lookup(f"{self.name} r1 limb {i}", [(q * cell[f"r1_{i}"], limb_table)])
        if top < b:
            cs.lookup(f"{self.name} r1 top limb < 2^{top}",
                      [(2 ** (b - top) * q * cell[f"r1_{self.n1 - 1}"], limb_table)])
        for i in range(self.n2):
            cs.lookup(f"{self.name} r2 limb {i}", [(q * cell[f"a_{i}"], limb_table)])
        cs.lookup(f"{self.name} r2 width",
                  [(sum(f[f"G_{i}"] * cell[f"a_{i}"] for i in range(self.n2)), limb_table)])
        for i in range(self.nd):
            cs.lookup(f"{self.name} quotient limb {i}", [(q * cell[f"d_{i}"], limb_table)])
        cs.lookup(f"{self.name} nc >= 0", [(q * nc, t_range)])
        cs.lookup(f"{self.name} nc + t <= 256", [(q * (SATURATE - t - nc), t_range)])
        cs.lookup(f"{self.name} wc <= cap", [(cap - q * wc, t_range)])
        cs.lookup(f"{self.name} wc <= nc + t", [(q * (nc + t - wc), t_range)])

    def load_tables(self, layouter):
        layouter.assign_table(self.limb_table, np.arange(1 << self.bits, dtype=np.int64))

    # -- assignment -------------------------------------------------------------------------

    def constants(self, multiplier: np.ndarray, shift: np.ndarray, *, zero_point: int,
                  lo: int, hi: int, input_zero_point: int, input_shift: int,
                  single_rounding: bool, clamp: bool) -> tuple[dict, np.ndarray, np.ndarray]:
        """The per-op fixed values, each op's right shift and its left shift ``P`` (int64
        arrays)."""
        mult = np.asarray(multiplier, dtype=np.int64)
        shift = np.asarray(shift, dtype=np.int64)
        if mult.size and (mult.min() < 0 or mult.max() >= 2**31 or shift.min() < -31
                          or shift.max() > 30):
            raise CircuitError(f"{self.name}: multipliers must lie in [0, 2^31) and shifts in "
                               "[-31, 30] (TFLite's quantised multipliers)")
        if single_rounding:
            pre = np.where(shift >= 0, shift + 1, 0) + input_shift
            right = np.where(shift >= 0, 1, -shift)
        else:
            pre = np.maximum(shift, 0) + input_shift
            right = np.maximum(-shift, 0)
        b = self.bits
        if pre.size and (pre.max() > STAGE1_BITS or (input_zero_point and pre.max() > 23)):
            raise CircuitError(f"{self.name}: a left shift of {int(pre.max())} bits is beyond "
                               "the gadget's 64-bit constants")
        m1 = mult << pre
        d = np.int64(1) << right
        fixed = {
            "M1": m1,
            "C": (0 if single_rounding else 2**30) - input_zero_point * m1,
            "S": np.full(m1.shape, 2**31 - 1 if single_rounding else 0, dtype=np.int64),
            "D": d, "H": d >> 1,
            "ZP": np.full(m1.shape, zero_point if clamp else 0, dtype=np.int64),
            "U": np.full(m1.shape, hi - zero_point if clamp else 0, dtype=np.int64),
            "LP": np.full(m1.shape, zero_point - lo if clamp else 0, dtype=np.int64),
        }
        # r2lo has w = right - 1 bits (none when right = 0): limb `top` holds the last ones
        w = np.maximum(right - 1, 0)
        top = np.where(w > 0, (w - 1) // b, -1)
        for i in range(self.n2):
            width = np.int64(1) << np.clip(b - (w - b * i), 0, b)
            fixed[f"G_{i}"] = np.where(i < top, 0, np.where(i == top, width, np.int64(1) << b))
        return fixed, right, pre

    def assign(self, layouter: Any, acc: Assigned, multiplier: Any, shift: Any, *,
               zero_point: int = 0, lo: int = -128, hi: int = 127, input_zero_point: int = 0,
               input_shift: int = 0, single_rounding: bool = False,
               clamp: bool = True) -> Assigned:
        """Requantise ``acc`` (any shape); ``multiplier`` and ``shift`` are ints or arrays
        broadcasting to it (per channel: the last axis). ``input_zero_point`` and
        ``input_shift`` take ``(acc - zp) 2^input_shift`` as the accumulator (ADD's
        inputs); ``clamp=False`` returns the unclamped q2. Returns cells shaped like
        ``acc``."""
        if clamp and not -128 <= lo <= zero_point <= hi <= 127:
            raise CircuitError(f"{self.name}: needs -128 <= lo <= zero_point <= hi <= 127, got "
                               f"lo {lo}, zero point {zero_point}, hi {hi}")
        shape = acc.shape
        m = math.prod(shape)
        mult = np.broadcast_to(np.asarray(multiplier, dtype=np.int64), shape).reshape(m)
        shv = np.broadcast_to(np.asarray(shift, dtype=np.int64), shape).reshape(m)
        fixed, right, pre = self.constants(
            mult, shv, zero_point=zero_point, lo=lo, hi=hi, input_zero_point=input_zero_point,
            input_shift=input_shift, single_rounding=single_rounding, clamp=clamp)
        x = np.asarray(acc.values, dtype=np.int64).reshape(m) - input_zero_point
        strict = witness_mode(layouter)
        values = self.witness(x, mult, pre, right, fixed, single_rounding, clamp, strict)
        values["acc"] = x + input_zero_point
        sel = {"clamp": np.full(m, clamp), "raw": np.full(m, not clamp)}
        out = self.lay_out(layouter, values, fixed, sel, {"acc": acc.cells.reshape(m)})
        return out["out"].reshape(*shape)

    def witness(self, x, mult, pre, right, fixed, single, clamp, strict) -> dict:
        """Every cell's value (int64) for the inputs ``x = acc - zp_in``."""
        mask31 = np.int64(2**31 - 1)
        if strict:
            # TFLite's int32 accumulator (and x << left staying an int32 when rounding twice)
            lim = np.int64(2**31) >> (0 if single else np.minimum(pre, 31))
            if x.size and ((x < -lim) | (x >= lim)).any():
                bad = int(x[(x < -lim) | (x >= lim)][0])
                raise CircuitError(f"{self.name}: accumulator {bad} leaves TFLite's int32 range "
                                   "(the model overflows its accumulator)")
        else:
            x = np.zeros_like(x)  # keygen / measuring: any values lay out the same circuit
        if single:
            s = (x < 0).astype(np.int64)
            ax = np.abs(x) * mult                       # < 2^62
            sh = STAGE1_BITS - pre
            absq = ax >> sh
            low = (ax & ((np.int64(1) << sh) - 1)) << pre
            r1 = np.where(s == 1, mask31 - low, low)
        else:
            y = x * fixed["M1"] + np.int64(2**30)      # |x 2^pre| < 2^31, M < 2^31
            q1 = y >> STAGE1_BITS
            r1 = y & mask31
            s = (q1 < 0).astype(np.int64)
            absq = np.abs(q1)
        d_div = fixed["D"]
        n = absq >> right
        r2 = absq & (d_div - 1)
        t = ((right >= 1) & (r2 >= fixed["H"])).astype(np.int64)
        r2lo = r2 - fixed["H"] * t
        b = self.bits
        if clamp:
            nc = np.minimum(n, SATURATE - t)
            wc = np.minimum(nc + t, np.where(s == 1, fixed["LP"], fixed["U"]))
            out = fixed["ZP"] + (1 - 2 * s) * wc
        else:
            nc, wc = np.zeros_like(n), np.zeros_like(n)
            out = (1 - 2 * s) * (n + t)
        d = n - nc
        if strict and d.size and int(d.max()) >> (b * self.nd):
            raise CircuitError(f"{self.name}: a quotient of {int(d.max())} needs more than "
                               f"{self.nd} limbs of {b} bits; use a larger k")
        values = {"out": out, "s": s, "t": t, "nc": nc, "wc": wc}
        values.update({f"a_{i}": v for i, v in enumerate(limbs(r2lo, b, self.n2))})
        values.update({f"r1_{i}": v for i, v in enumerate(limbs(r1, b, self.n1))})
        values.update({f"d_{i}": v for i, v in enumerate(limbs(d, b, self.nd))})
        return values


@hookimpl
def zkml_register_gadgets():
    return [Requantize]

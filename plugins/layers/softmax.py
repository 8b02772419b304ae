"""Softmax over the last axis with zkml's integer steps and mask.

params = [] or [ndim, mask shape..., mask values...] (1 = masked: output 0). Input 2-D,
3-D, or 4-D with batch 1. Per row, over the unmasked entries (zkml's softmax_flat):
m = max, d = x - m, e = exp table of d at scale sf^2 (round(e^(d/sf) sf^2), Rust
rounding), S = sum e, s = round_half_up(S / sf), out = round_half_up(e / s), about
softmax * sf. A row with every entry masked is all zeros.

Circuit, per row over its unmasked cells (rows with as many unmasked entries are one
batch): ``max`` (m), ``sub_pairs`` (d), ``exp`` lookups (e, which also range-check d),
``adder`` (S), then ``var_div_round_big3`` twice, S by the constant sf and e by the row's
s (a witness cell it bounds: 1 <= s, remainders below 2 s). Masked and all-masked
outputs are a constant zero cell. ``var_div_round_big3`` needs 10 columns.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, flat_join
from zkml_plugins.layers._mask import mask_params, neg_inf_mask, parse_mask, producer
from zkml_plugins.layers._table import f64_exp, table_lookup

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take
from zkml_core.model.fixed_point import div_round_half_up


class Softmax(BuiltinLayer):
    name = "Softmax"
    description = "softmax over the last axis (exp table, rounded divisions), masked"
    tflite_ops = ("SOFTMAX",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_inputs(spec, (1,), "input")
        shape = tuple(spec.inp_shapes[0])
        if not 2 <= len(shape) <= 4 or (len(shape) == 4 and shape[0] != 1):
            raise ModelError(f"input must be 2-D, 3-D or 4-D with batch 1, got {list(shape)}")
        mask = parse_mask(spec.params, shape)
        self.keep = np.ones(shape, bool) if mask is None else ~mask

    @classmethod
    def from_tflite(cls, op, ctx):
        """SOFTMAX with beta 1; an input made by zkml's mask idiom carries its mask."""
        if float(op.options.get("beta", 1.0)) != 1.0:
            raise ctx.unsupported(op, "beta != 1")
        prev = producer(ctx, op.inputs[0])
        masked = neg_inf_mask(ctx, prev) if prev is not None else None
        return ctx.layer("Softmax", op, [] if masked is None else mask_params(masked[1]))

    def forward_int(self, inputs, ctx):
        x, keep = inputs[0], self.keep
        sf = ctx.scale_factor
        big = np.iinfo(np.int64).min
        m = np.where(keep, x, big).max(axis=-1, keepdims=True, initial=big)
        d = np.where(keep, x - np.where(m == big, 0, m), 0)
        check = d[keep]
        e = np.zeros_like(x)
        e[keep] = table_lookup("Softmax exp", check, f64_exp, sf * sf, ctx)
        total = e.sum(axis=-1, keepdims=True)
        s = div_round_half_up(total, sf)
        # rows with every entry masked have s = 0 and stay 0
        s_safe = np.where(s > 0, s, 1)
        out = (2 * e + s_safe) // (2 * s_safe)  # round_half_up(e / s), s > 0 per row
        return [np.where(keep & (s > 0), out, 0)]

    def forward_float(self, inputs, ctx):
        x, keep = inputs[0], self.keep
        m = np.where(keep, x, -np.inf).max(axis=-1, keepdims=True, initial=-np.inf)
        with np.errstate(invalid="ignore"):
            e = np.where(keep, np.exp(np.where(keep, x - m, 0.0)), 0.0)
        total = e.sum(axis=-1, keepdims=True)
        return [np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)]

    def _row_lengths(self) -> np.ndarray:
        """The number of unmasked entries of each row."""
        return self.keep.reshape(-1, self.keep.shape[-1]).sum(axis=1)

    def gadgets(self, ctx):
        counts = self._row_lengths()
        if not counts.any():  # every entry masked: constant zeros
            return []
        names = ["sub_pairs", "exp", "adder", "var_div_round_big3"]
        return names + ["max"] if counts.max() > 1 else names

    def synthesize(self, inputs, ctx):
        x, lay = inputs[0], ctx.layouter
        width = x.shape[-1]
        keep = self.keep.reshape(-1, width)
        counts = self._row_lengths()
        cells = np.arange(x.cells.size, dtype=np.int64).reshape(-1, width)
        masked = not keep.all()
        # out_index: position in the joined results; 0 is the zero cell when masked
        out_index = np.zeros(x.cells.size, dtype=np.int64)
        parts, offset = ([ctx.zeros((1,))], 1) if masked else ([], 0)
        for n in np.unique(counts[counts > 0]).tolist():  # distinct row lengths: few
            rows = np.flatnonzero(counts == n)
            pos = cells[rows][keep[rows]].reshape(rows.size, n)  # row-major: rows kept
            xs = take(x, pos)
            m = ctx.gadget("max").assign(lay, xs) if n > 1 else xs[:, 0]
            d = ctx.gadget("sub_pairs").assign(lay, xs, m.reshape(rows.size, 1))
            e = ctx.gadget("exp").assign(lay, d)
            divide = ctx.gadget("var_div_round_big3")
            s = divide.assign(lay, ctx.gadget("adder").assign(lay, e), ctx.scale_factor)
            out = divide.assign(lay, e, s)
            out_index[pos.reshape(-1)] = offset + np.arange(pos.size)
            parts.append(out)
            offset += pos.size
        if not parts:  # an empty input
            return [x]
        return [take(flat_join(parts), out_index.reshape(x.shape))]


@hookimpl
def zkml_register_layers():
    return [Softmax]

"""Helpers of the int8 layer plugins (``q_*.py``): TFLite's integer semantics.

int8 layers keep TFLite's quantised integers: values are int8 codes with a zero point,
accumulators int32, and every op rescales to its output with the fixed-point
multiplier and shift of :mod:`zkml_core.convert.tflite_quant` (TFLite's reference
kernels, bit for bit). The model's scale factor plays no part.

Window geometry (``window_index``) is shared by the witness (``forward_int``, on values)
and the circuit (``synthesize``, on cells): SAME padding is TensorFlow's (``ceil(H / s)``
outputs, ``floor(total / 2)`` padding before), padded taps point at a fill index.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from zkml_plugins.layers._common import flat_join, freivalds_cheaper

from zkml_core.convert.tflite_quant import activation_range
from zkml_core.errors import ModelError
from zkml_core.interfaces import Layer
from zkml_core.model.circuit import take
from zkml_core.plonk.layouter import Assigned

SAME, VALID = 0, 1
PADDING = {"SAME": SAME, "VALID": VALID}
INT8_MIN, INT8_MAX = -128, 127


def quant(ctx, idx: int) -> tuple[float, int]:
    """(scale, zero point) of a per-tensor quantised tensor."""
    q = ctx.quantization(idx)
    return float(q.scales[0]), int(q.zero_points[0])


def padding_of(ctx, op) -> int:
    name = op.options.get("padding", "VALID")
    if name not in PADDING:
        raise ctx.unsupported(op, f"padding {name}")
    return PADDING[name]


def out_size(size: int, kernel: int, stride: int, padding: int) -> tuple[int, int]:
    """(output size, padding before) along one axis."""
    if padding == SAME:
        out = -(-size // stride)
        return out, max((out - 1) * stride + kernel - size, 0) // 2
    return ((size - kernel) // stride + 1 if size >= kernel else 0), 0


def check_windows(shape, kh: int, kw: int, sh: int, sw: int, padding: int
                  ) -> tuple[int, int, int, int]:
    """(OH, padding top, OW, padding left) of windows over an [N, H, W, C] tensor; a
    ModelError when a VALID window does not fit."""
    _, h, w, _ = shape
    oh, top = out_size(h, kh, sh, padding)
    ow, left = out_size(w, kw, sw, padding)
    if oh < 1 or ow < 1:
        raise ModelError(f"a {kh}x{kw} window does not fit the {h}x{w} input with VALID "
                         "padding")
    return oh, top, ow, left


def window_index(shape, kh: int, kw: int, sh: int, sw: int, padding: int) -> np.ndarray:
    """Flat positions into an [N, H, W, C] tensor of every window tap,
    [N, OH, OW, C, KH, KW]; a padded tap holds ``prod(shape)`` (the fill position)."""
    n, h, w, c = shape
    oh, top, ow, left = check_windows(shape, kh, kw, sh, sw, padding)
    ph = max((oh - 1) * sh + kh, top + h)
    pw = max((ow - 1) * sw + kw, left + w)
    fill = n * h * w * c
    idx = np.full((n, ph, pw, c), fill, dtype=np.int64)
    idx[:, top:top + h, left:left + w] = np.arange(fill, dtype=np.int64).reshape(shape)
    win = sliding_window_view(idx, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    return np.ascontiguousarray(win[:, :oh, :ow])


def with_fill(x: np.ndarray, fill: int) -> np.ndarray:
    """``x`` flattened with one more value, ``fill``, at the fill position."""
    return np.concatenate([np.asarray(x, dtype=np.int64).reshape(-1),
                           np.array([fill], dtype=np.int64)])


def check_clamp(lo: int, hi: int, zp: int | None = None) -> None:
    """A fused activation's int8 range ``[lo, hi]``; the requantising layers also need
    ``lo <= zp <= hi`` (true of every TFLite activation: each range holds the real 0)."""
    if not INT8_MIN <= lo <= hi <= INT8_MAX:
        raise ModelError(f"the activation range [{lo}, {hi}] must lie in [-128, 127]")
    if zp is not None and not lo <= zp <= hi:
        raise ModelError(f"the output zero point {zp} must lie in the activation range "
                         f"[{lo}, {hi}]")


def check_zero_point(zp: int, what: str) -> None:
    if not INT8_MIN <= zp <= INT8_MAX:
        raise ModelError(f"the {what} zero point {zp} is not an int8 value")


def check_multiplier(multiplier: int, shift: int, what: str = "multiplier") -> None:
    """TFLite's quantised multipliers: 0 or in [2^30, 2^31), shifts in [-31, 30]."""
    if not (multiplier == 0 or 2**30 <= multiplier < 2**31) or not -31 <= shift <= 30:
        raise ModelError(f"the {what} ({multiplier}, shift {shift}) is not a TFLite "
                         "quantised multiplier: 0 or in [2^30, 2^31), shift in [-31, 30]")


class QLayer(Layer):
    """Base of the int8 layers: integer semantics only (the float reference of an int8
    model is TFLite's own run: ``zkml convert --check``)."""

    def forward_float(self, inputs, ctx):
        raise ModelError(f"layer {self.name} has TFLite's int8 integer semantics only; "
                         "compare with TFLite instead (zkml convert --check)")


class QPoolLayer(QLayer):
    """Base of the int8 pools: params [fh, fw, stride_h, stride_w, padding, act_lo,
    act_hi] (input and output share their quantisation, as TFLite requires)."""

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = [int(v) for v in spec.params]
        if len(p) != 7:
            raise ModelError("params must be [fh, fw, stride_h, stride_w, padding, act_lo, "
                             f"act_hi], got {p}")
        self.fh, self.fw, self.sh, self.sw, self.padding, self.lo, self.hi = p
        if min(self.fh, self.fw, self.sh, self.sw) < 1 or self.padding not in (SAME, VALID):
            raise ModelError(f"window and strides must be >= 1 and padding 0 (SAME) or 1 "
                             f"(VALID), got {p}")
        check_clamp(self.lo, self.hi)
        if len(spec.inp_idxes) != 1 or len(spec.inp_shapes[0]) != 4:
            raise ModelError("needs one 4-D input [N,H,W,C]")
        check_windows(tuple(spec.inp_shapes[0]), self.fh, self.fw, self.sh, self.sw,
                      self.padding)

    @functools.cached_property
    def windows(self) -> np.ndarray:
        """The window taps, [N, OH, OW, C, fh, fw] (built when first needed: they are as
        large as the im2col matrix)."""
        return window_index(tuple(self.spec.inp_shapes[0]), self.fh, self.fw, self.sh,
                            self.sw, self.padding)

    @classmethod
    def from_tflite(cls, op, ctx):
        o = op.options
        s_out, zp_out = quant(ctx, op.outputs[0])
        if quant(ctx, op.inputs[0]) != (s_out, zp_out):
            raise ctx.unsupported(op, "different input and output quantisation")
        lo, hi = activation_range(o.get("fused_activation_function", "NONE"), s_out, zp_out)
        return ctx.layer(cls.name, op, [o["filter_height"], o["filter_width"], o["stride_h"],
                                        o["stride_w"], padding_of(ctx, op), lo, hi])

    def taps(self) -> np.ndarray:
        """The window taps, [N, OH, OW, C, fh * fw] (padded taps at the fill position)."""
        return self.windows.reshape(*self.windows.shape[:4], self.fh * self.fw)


def binary_quant(ctx, op) -> tuple[list[int], tuple[float, float, float], int, int]:
    """An int8 ADD / SUB / MUL's zero points [zp1, zp2, zp_out], scales (s1, s2, s_out)
    and fused activation range (lo, hi)."""
    (s1, zp1), (s2, zp2), (so, zpo) = (quant(ctx, i) for i in (*op.inputs[:2], op.outputs[0]))
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), so, zpo)
    return [zp1, zp2, zpo], (s1, s2, so), lo, hi


def check_binary(spec, zps, lo: int, hi: int) -> None:
    """An int8 ADD / SUB / MUL's zero points, clamp and two inputs."""
    for zp, what in zip(zps, ("first input", "second input", "output"), strict=True):
        check_zero_point(zp, what)
    check_clamp(lo, hi, zps[2])
    if len(spec.inp_idxes) != 2:
        raise ModelError(f"needs 2 inputs, got {len(spec.inp_idxes)}")


# -- circuits -------------------------------------------------------------------------------

def shifted(ctx, a: Assigned, zero_point: int) -> Assigned:
    """The cells of ``a - zero_point`` (``a`` itself when the zero point is 0)."""
    if zero_point == 0:
        return a
    return ctx.gadget("sub_pairs").assign(ctx.layouter, a, ctx.constant([zero_point]))


def with_zero_and_one(ctx, a: Assigned) -> tuple[Assigned, int, int]:
    """``a``'s cells flattened, then a constant 0 and a constant 1 cell: (joined, position
    of the 0, position of the 1), for gathers that pad with 0 or append a 1 (the bias
    term of a product)."""
    n = a.cells.size
    return flat_join([a, ctx.zeros((1,)), ctx.constant([1])]), n, n + 1


def product_rows(ctx, w: Assigned, bias: Assigned | None, rows: int) -> Assigned:
    """The weights as ``rows`` rows (row-major), each followed by its bias when there is
    one: [rows, K (+1)]."""
    idx = np.arange(w.cells.size, dtype=np.int64).reshape(rows, -1)
    if bias is None:
        return take(w, idx)
    joined = flat_join([w, bias])
    return take(joined, np.concatenate([idx, w.cells.size + np.arange(rows)[:, None]], axis=1))


def matmul(ctx, x: Assigned, w_rows: Assigned) -> Assigned:
    """``x @ w_rows^T`` for x [M, K] and w_rows [N, K]: Freivalds' check when it is cheaper
    (``freivalds_cheaper``), else dot products. Returns [M, N]."""
    (m, kdim), n = x.shape, w_rows.shape[0]
    if freivalds_cheaper(m, kdim, n):
        wt = take(w_rows, np.arange(n * kdim, dtype=np.int64).reshape(n, kdim).T)
        return ctx.gadget("freivalds").matmul(ctx.layouter, x, wt)
    return ctx.gadget("dot_product").assign(ctx.layouter, x.reshape(m, 1, kdim),
                                            w_rows.reshape(1, n, kdim))


def matmul_gadget(m: int, kdim: int, n: int) -> str:
    return "freivalds" if freivalds_cheaper(m, kdim, n) else "dot_product"

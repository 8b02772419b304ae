"""A hypothesis strategy for small random float models written with TFLiteWriter.

A model has one input (1, H, W, C) and two phases:

1. 0-4 ops on 4-D tensors: CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D
   (VALID), ADD / SUB / MUL with a constant or an earlier tensor of the same shape, PAD,
   TRANSPOSE, CONCATENATION, LOGISTIC, TANH;
2. optionally RESHAPE to (1, n) (or MEAN over the spatial axes) and 0-3 ops on 2-D
   tensors: FULLY_CONNECTED, ADD / MUL, LOGISTIC, TANH, SOFTMAX.

Weights are scaled by 1 / fan-in so values stay of order 1 through the chain.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from zkml_core.convert.tflite_writer import TFLiteWriter

ACTS = ["NONE", "RELU", "RELU6"]
OPS_4D = ["CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "SUB",
          "MUL", "PAD", "TRANSPOSE", "CONCATENATION", "LOGISTIC", "TANH"]
OPS_2D = ["FULLY_CONNECTED", "ADD", "MUL", "LOGISTIC", "TANH", "SOFTMAX"]


class _Builder:
    def __init__(self, draw, rng, shape):
        self.draw, self.rng = draw, rng
        self.w = TFLiteWriter()
        self.cur = self.w.add_input("x", shape)
        self.shape = shape
        self.seen = {shape: [self.cur]}
        self.ops: list[str] = []

    def const(self, values) -> int:
        return self.w.add_constant(f"c{len(self.w.tensors)}", np.asarray(values, np.float32))

    def emit(self, op, inputs, out_shape, **options) -> None:
        y = self.w.add_tensor(f"t{len(self.w.tensors)}", out_shape)
        self.w.add_op(op, inputs, [y], **options)
        self.ops.append(op)
        self.cur, self.shape = y, tuple(out_shape)
        self.seen.setdefault(self.shape, []).append(y)

    def other_same_shape(self) -> int:
        others = [t for t in self.seen.get(self.shape, []) if t != self.cur]
        if others and self.draw(st.booleans()):
            return self.draw(st.sampled_from(others))
        cshape = self.draw(st.sampled_from([self.shape[-1:], self.shape]))
        return self.const(self.rng.uniform(-1, 1, cshape))

    def elementwise(self, op) -> None:
        other = self.other_same_shape()
        act = {"fused_activation_function": self.draw(st.sampled_from(["NONE", "RELU"]))} \
            if op == "ADD" else {}
        self.emit(op, [self.cur, other], self.shape, **act)

    def op_4d(self, op) -> None:
        draw, rng = self.draw, self.rng
        _, h, wd, c = self.shape
        if op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            k = draw(st.integers(1, min(3, h, wd)))
            stride = draw(st.integers(1, 2))
            padding = draw(st.sampled_from(["SAME", "VALID"]))
            if padding == "SAME":
                oh, ow = -(-h // stride), -(-wd // stride)
            else:
                oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
            if op == "CONV_2D":
                o = draw(st.integers(1, 4))
                kern = rng.uniform(-1, 1, (o, k, k, c)) / (k * k * c)
                extra = {}
            else:
                o = c * draw(st.integers(1, 2))
                kern = rng.uniform(-1, 1, (1, k, k, o)) / (k * k)
                extra = {"depth_multiplier": o // c}
            self.emit(op, [self.cur, self.const(kern), self.const(rng.uniform(-0.5, 0.5, o))],
                      (1, oh, ow, o), padding=padding, stride_h=stride, stride_w=stride,
                      fused_activation_function=draw(st.sampled_from(ACTS)), **extra)
        elif op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            f = draw(st.integers(1, min(2, h, wd)))
            stride = draw(st.integers(1, 2))
            self.emit(op, [self.cur], (1, (h - f) // stride + 1, (wd - f) // stride + 1, c),
                      filter_height=f, filter_width=f, stride_h=stride, stride_w=stride)
        elif op in ("ADD", "SUB", "MUL"):
            self.elementwise(op)
        elif op == "PAD":
            pads = [[0, 0]] + [[draw(st.integers(0, 1)), draw(st.integers(0, 1))]
                               for _ in range(3)]
            shape = tuple(d + a + b for d, (a, b) in zip(self.shape, pads, strict=True))
            self.emit(op, [self.cur, self.w.add_constant("pads", np.array(pads, np.int32))],
                      shape)
        elif op == "TRANSPOSE":
            perm = [0, *draw(st.permutations([1, 2, 3]))]
            shape = tuple(self.shape[p] for p in perm)
            self.emit(op, [self.cur, self.w.add_constant("perm", np.array(perm, np.int32))],
                      shape)
        elif op == "CONCATENATION":
            axis = draw(st.integers(1, 3))
            other = self.other_same_shape_full()
            shape = list(self.shape)
            shape[axis] *= 2
            self.emit(op, [self.cur, other], tuple(shape), axis=axis)
        else:  # LOGISTIC, TANH
            self.emit(op, [self.cur], self.shape)

    def other_same_shape_full(self) -> int:
        others = [t for t in self.seen.get(self.shape, []) if t != self.cur]
        if others and self.draw(st.booleans()):
            return self.draw(st.sampled_from(others))
        return self.const(self.rng.uniform(-1, 1, self.shape))

    def to_2d(self) -> None:
        if self.draw(st.booleans()):
            flat = (1, int(np.prod(self.shape)))
            self.emit("RESHAPE", [self.cur, self.w.add_constant("shape", np.array(flat, np.int32))],
                      flat, new_shape=list(flat))
        else:  # the mean over the spatial axes: (1, C)
            self.emit("MEAN", [self.cur, self.w.add_constant("axes", np.array([1, 2], np.int32))],
                      (1, self.shape[3]), keep_dims=False)

    def op_2d(self, op) -> None:
        n = self.shape[1]
        if op == "FULLY_CONNECTED":
            units = self.draw(st.integers(1, 6))
            wts = self.rng.uniform(-1, 1, (units, n)) / n
            self.emit(op, [self.cur, self.const(wts), self.const(self.rng.uniform(-0.5, 0.5, units))],
                      (1, units), fused_activation_function=self.draw(st.sampled_from(["NONE", "RELU"])))
        elif op in ("ADD", "MUL"):
            self.elementwise(op)
        elif op == "SOFTMAX":
            self.emit(op, [self.cur], self.shape, beta=1.0)
        else:
            self.emit(op, [self.cur], self.shape)


@st.composite
def random_model(draw, ops_4d=tuple(OPS_4D), ops_2d=tuple(OPS_2D)
                 ) -> tuple[bytes, np.ndarray, list[str]]:
    """(model bytes, an input in [0, 1], the op names in order)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (1, draw(st.integers(3, 7)), draw(st.integers(3, 7)), draw(st.integers(1, 3)))
    b = _Builder(draw, rng, shape)
    for _ in range(draw(st.integers(0, 4))):
        if max(b.shape) > 16:  # keep the models small
            break
        b.op_4d(draw(st.sampled_from(ops_4d)))
    if draw(st.booleans()) or not b.ops:
        b.to_2d()
        for _ in range(draw(st.integers(0, 3))):
            b.op_2d(draw(st.sampled_from(ops_2d)))
    b.w.mark_output(b.cur)
    x = rng.uniform(0, 1, shape).astype(np.float32)
    return b.w.to_bytes(), x, b.ops

"""A hypothesis strategy for small random float CNNs written with TFLiteWriter.

Each model is a chain of 1-4 ops over one input (1, H, W, C): CONV_2D, DEPTHWISE_CONV_2D,
AVERAGE_POOL_2D, and ADD / SUB / MUL with a constant or with an earlier tensor of the same
shape, optionally ending in RESHAPE to (1, n). Weights are scaled by 1 / fan-in so
values stay of order 1 through the chain.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from zkml_core.convert.tflite_writer import TFLiteWriter

ACTS = ["NONE", "RELU", "RELU6"]


@st.composite
def random_cnn(draw) -> tuple[bytes, np.ndarray, list[str]]:
    """(model bytes, an input in [0, 1], the op names in order)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (1, draw(st.integers(4, 8)), draw(st.integers(4, 8)), draw(st.integers(1, 3)))
    w = TFLiteWriter()
    cur = w.add_input("x", shape)
    seen = {shape: [cur]}
    ops = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D",
                                     "ADD", "SUB", "MUL"]))
        _, h, wd, c = shape
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            k = draw(st.integers(1, min(3, h, wd)))
            stride = draw(st.integers(1, 2))
            padding = draw(st.sampled_from(["SAME", "VALID"]))
            if padding == "SAME":
                oh, ow = -(-h // stride), -(-wd // stride)
            else:
                oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
            if kind == "CONV_2D":
                o = draw(st.integers(1, 4))
                kern = rng.uniform(-1, 1, (o, k, k, c)) / (k * k * c)
            else:
                o = c * draw(st.integers(1, 2))
                kern = rng.uniform(-1, 1, (1, k, k, o)) / (k * k)
            out_shape = (1, oh, ow, o)
            y = w.add_tensor(f"t{i}", out_shape)
            w.add_op(kind, [cur, w.add_constant(f"k{i}", kern.astype(np.float32)),
                            w.add_constant(f"b{i}", rng.uniform(-0.5, 0.5, o).astype(np.float32))],
                     [y], padding=padding, stride_h=stride, stride_w=stride,
                     fused_activation_function=draw(st.sampled_from(ACTS)),
                     **({"depth_multiplier": o // c} if kind == "DEPTHWISE_CONV_2D" else {}))
        elif kind == "AVERAGE_POOL_2D":
            if min(h, wd) < 2:
                continue
            stride = draw(st.integers(1, 2))
            out_shape = (1, (h - 2) // stride + 1, (wd - 2) // stride + 1, c)
            y = w.add_tensor(f"t{i}", out_shape)
            w.add_op(kind, [cur], [y], filter_height=2, filter_width=2, stride_h=stride,
                     stride_w=stride)
        else:
            out_shape = shape
            others = [t for t in seen.get(shape, []) if t != cur]
            if others and draw(st.booleans()):
                other = draw(st.sampled_from(others))
            else:
                cshape = draw(st.sampled_from([(c,), shape]))
                other = w.add_constant(f"c{i}", rng.uniform(-1, 1, cshape).astype(np.float32))
            y = w.add_tensor(f"t{i}", out_shape)
            act = {"fused_activation_function": draw(st.sampled_from(["NONE", "RELU"]))} \
                if kind == "ADD" else {}
            w.add_op(kind, [cur, other], [y], **act)
        ops.append(kind)
        cur, shape = y, out_shape
        seen.setdefault(shape, []).append(cur)
    if draw(st.booleans()):
        flat = (1, int(np.prod(shape)))
        y = w.add_tensor("flat", flat)
        w.add_op("RESHAPE", [cur, w.add_constant("shape", np.array(flat, np.int32))], [y],
                 new_shape=list(flat))
        ops.append("RESHAPE")
        cur = y
    w.mark_output(cur)
    x = rng.uniform(0, 1, w.tensors[0].shape).astype(np.float32)
    return w.to_bytes(), x, ops

"""A hypothesis strategy for small random int8 CNNs written with TFLiteWriter: per-channel
conv / depthwise weights, SAME and VALID padding, strides, fused RELU / RELU6, average and
max pooling, ADD / SUB / MUL with constants or earlier tensors, optionally a RESHAPE +
FULLY_CONNECTED head. Output scales put typical accumulators at ~40 steps, times a
random factor (down to 1/16), so some values saturate."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from zkml_core.convert.tflite_writer import Quant, TFLiteWriter

OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "SUB", "MUL")


@st.composite
def random_int8_cnn(draw, ops=OPS, head=None):
    """(model bytes, an int8 input): 1-4 ops drawn from ``ops``, then the classifier head
    when ``head`` (None: drawn)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (1, draw(st.integers(3, 7)), draw(st.integers(3, 7)), draw(st.integers(1, 3)))
    q = Quant(float(np.float32(rng.uniform(0.005, 0.05))), int(rng.integers(-50, 50)))
    w = TFLiteWriter()
    cur = w.add_input("x", shape, "int8", q)
    seen = {shape: [cur]}
    for i in range(draw(st.integers(1, 4))):
        _, h, wd, c = shape
        op = draw(st.sampled_from(ops))
        if op in ("ADD", "SUB", "MUL"):
            # with an earlier tensor of this shape or a constant (whole or per channel)
            others = [t for t in seen.get(shape, []) if t != cur]
            if others and draw(st.booleans()):
                other = draw(st.sampled_from(others))
            else:
                cshape = draw(st.sampled_from([shape, shape[-1:]]))
                qc = Quant(float(np.float32(rng.uniform(0.005, 0.05))),
                           int(rng.integers(-50, 50)))
                other = w.add_constant(f"c{i}", rng.integers(-128, 128, cshape).astype(np.int8),
                                       "int8", qc)
            s_out = float(q.scales()[0]) * (40 if op == "MUL" else 2)
            q = Quant(float(np.float32(s_out * 2.0 ** rng.uniform(-2, 1))),
                      int(rng.integers(-30, 30)))
            y = w.add_tensor(f"t{i}", shape, "int8", q)
            act = draw(st.sampled_from(["NONE", "RELU", "RELU6"]))
            w.add_op(op, [cur, other], [y], fused_activation_function=act)
            cur = y
            seen.setdefault(shape, []).append(cur)
            continue
        stride = draw(st.integers(1, 2))
        padding = draw(st.sampled_from(["SAME", "VALID"]))
        k = draw(st.integers(1, min(3, h, wd)))
        if padding == "SAME":
            oh, ow = -(-h // stride), -(-wd // stride)
        else:
            oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
        act = draw(st.sampled_from(["NONE", "RELU", "RELU6"]))
        if op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            out_shape = (1, oh, ow, c)
            y = w.add_tensor(f"t{i}", out_shape, "int8", q)  # pooling keeps its quantisation
            w.add_op(op, [cur], [y], padding=padding, filter_height=k, filter_width=k,
                     stride_h=stride, stride_w=stride, fused_activation_function=act)
        else:
            o = draw(st.integers(1, 4)) if op == "CONV_2D" else c
            kshape = (o, k, k, c) if op == "CONV_2D" else (1, k, k, o)
            w_scales = rng.uniform(0.002, 0.02, o).astype(np.float32)
            axis = 0 if op == "CONV_2D" else 3
            kq = w.add_constant(f"k{i}", rng.integers(-127, 128, kshape).astype(np.int8),
                                "int8", Quant(w_scales.tolist(), [0] * o, axis=axis))
            b_scales = (np.float64(q.scales()[0]) * w_scales.astype(np.float64)).tolist()
            bq = w.add_constant(f"b{i}", rng.integers(-500, 500, o).astype(np.int32), "int32",
                                Quant(b_scales, [0] * o))
            fan_in = k * k * (c if op == "CONV_2D" else 1)
            # an output scale putting the accumulator's typical size (int8 values of std ~74
            # times weights of std ~73 over fan_in terms) at ~40 steps: few values saturate
            s_out = float(q.scales()[0]) * float(w_scales.mean()) * 5400 * np.sqrt(fan_in) / 40
            # times a factor down to 1/16, so some values do saturate
            q = Quant(float(np.float32(s_out * 2.0 ** rng.uniform(-4, 1))),
                      int(rng.integers(-30, 30)))
            out_shape = (1, oh, ow, o)
            y = w.add_tensor(f"t{i}", out_shape, "int8", q)
            w.add_op(op, [cur, kq, bq], [y], padding=padding, stride_h=stride,
                     stride_w=stride, fused_activation_function=act,
                     **({"depth_multiplier": 1} if op != "CONV_2D" else {}))
        cur, shape = y, out_shape
        seen.setdefault(shape, []).append(cur)
    if draw(st.booleans()) if head is None else head:  # a classifier head: RESHAPE to (1, n), FULLY_CONNECTED
        flat = (1, int(np.prod(shape)))
        r = w.add_tensor("flat", flat, "int8", q)
        w.add_op("RESHAPE", [cur, w.add_constant("shape", np.array(flat, np.int32))], [r],
                 new_shape=list(flat))
        units = draw(st.integers(1, 6))
        s_w = float(np.float32(rng.uniform(0.002, 0.02)))
        wq = w.add_constant("fc_w", rng.integers(-127, 128, (units, flat[1])).astype(np.int8),
                            "int8", Quant(s_w, 0))
        bias_q = Quant(float(np.float32(q.scales()[0]) * np.float32(s_w)), 0)
        bq = w.add_constant("fc_b", rng.integers(-500, 500, units).astype(np.int32), "int32",
                            bias_q)
        s_out = float(q.scales()[0]) * s_w * 5400 * np.sqrt(flat[1]) / 40
        q = Quant(float(np.float32(s_out * 2.0 ** rng.uniform(-2, 1))), int(rng.integers(-30, 30)))
        cur = w.add_tensor("logits", (1, units), "int8", q)
        w.add_op("FULLY_CONNECTED", [r, wq, bq], [cur],
                 fused_activation_function=draw(st.sampled_from(["NONE", "RELU"])))
    w.mark_output(cur)
    x = rng.integers(-128, 128, w.tensors[0].shape).astype(np.int8)
    return w.to_bytes(), x

"""Models written by TFLiteWriter run in TFLite's reference interpreter (BUILTIN_REF) and
match numpy float references (tflite_refs); the reader reads back what the writer wrote.

float32 models: within float32 rounding (rtol 1e-4). int8 models: the dequantised output
is within one output step (scale) of the float reference computed on the dequantised
inputs and weights, plus the ops' documented approximations (softmax / logistic / tanh
use fixed-point exp and LUTs: two steps).
"""

from __future__ import annotations

import numpy as np
import pytest
import tflite_refs as ref
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.convert.tflite_reader import parse_tflite
from zkml_core.convert.tflite_writer import (
    Quant,
    TFLiteWriter,
    affine_params,
    dequantize,
    quantize,
    symmetric_params,
)

SETTINGS = settings(max_examples=12, deadline=None)
ACTS = st.sampled_from(["NONE", "RELU", "RELU6"])
PADS = st.sampled_from(["SAME", "VALID"])


def arrays(draw, shape, lo=-2.0, hi=2.0):
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).uniform(lo, hi, size=shape).astype(np.float32)


def check_roundtrip(w: TFLiteWriter, data: bytes) -> None:
    """The reader returns the tensors, constants, quantisation, ops and options written."""
    g = parse_tflite(data)
    assert g.inputs == tuple(w.inputs) and g.outputs == tuple(w.outputs)
    assert len(g.tensors) == len(w.tensors)
    for t, wt in zip(g.tensors, w.tensors, strict=True):
        assert (t.name, t.shape, t.type) == (wt.name, wt.shape, wt.type)
        if wt.buffer:
            assert t.data.tobytes() == w.buffers[wt.buffer]
        else:
            assert t.data is None
        if wt.quant is None:
            assert t.quantization is None
        else:
            np.testing.assert_array_equal(t.quantization.scales, wt.quant.scales())
            np.testing.assert_array_equal(t.quantization.zero_points, wt.quant.zero_points())
            assert t.quantization.quantized_dimension == wt.quant.axis
    for op, wop in zip(g.operators, w.ops, strict=True):
        assert (op.op, list(op.inputs), list(op.outputs)) == (wop.op, wop.inputs, wop.outputs)
        for key, value in wop.options.items():
            got = op.options[key]
            if isinstance(value, float):  # options store float32
                value = float(np.float32(value))
            assert got == (list(value) if isinstance(value, tuple) else value), key


def run(w: TFLiteWriter, *inputs):
    data = w.to_bytes()
    check_roundtrip(w, data)
    return ref.run_interpreter(data, *inputs)


# -- float32 --------------------------------------------------------------------------


@st.composite
def conv_cases(draw, depthwise=False):
    h, wd = draw(st.integers(3, 7)), draw(st.integers(3, 7))
    cin = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(PADS)
    if padding == "VALID":
        kh = min(kh, (h - 1) // dilation[0] + 1)
        kw = min(kw, (wd - 1) // dilation[1] + 1)
    mult = draw(st.integers(1, 2)) if depthwise else 1
    cout = cin * mult if depthwise else draw(st.integers(1, 4))
    x = arrays(draw, (1, h, wd, cin))
    k = arrays(draw, (1, kh, kw, cout) if depthwise else (cout, kh, kw, cin))
    # the reference kernels require a bias tensor for float convolutions
    b = arrays(draw, (cout,)) if draw(st.booleans()) else np.zeros(cout, np.float32)
    return x, k, b, stride, dilation, padding, draw(ACTS), mult


def _conv_model(x, k, b, stride, dilation, padding, act, mult, depthwise, out_shape):
    w = TFLiteWriter()
    xi = w.add_input("x", x.shape)
    ki = w.add_constant("k", k)
    bi = w.add_constant("b", b) if b is not None else -1
    y = w.add_tensor("y", out_shape)
    opts = dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
                fused_activation_function=act)
    if depthwise:
        w.add_op("DEPTHWISE_CONV_2D", [xi, ki, bi], [y], depth_multiplier=mult, **opts)
    else:
        w.add_op("CONV_2D", [xi, ki, bi], [y], **opts)
    w.mark_output(y)
    return w


@SETTINGS
@given(conv_cases())
def test_float_conv2d(case):
    x, k, b, stride, dilation, padding, act, mult = case
    want = ref.conv2d(x, k, b, stride, dilation, padding, act)
    w = _conv_model(x, k, b, stride, dilation, padding, act, mult, False, want.shape)
    (got,) = run(w, x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(conv_cases(depthwise=True))
def test_float_depthwise_conv2d(case):
    x, k, b, stride, dilation, padding, act, mult = case
    want = ref.depthwise_conv2d(x, k, b, mult, stride, dilation, padding, act)
    w = _conv_model(x, k, b, stride, dilation, padding, act, mult, True, want.shape)
    (got,) = run(w, x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.data())
def test_float_fully_connected_and_pools(data):
    draw = data.draw
    h, wd, c = draw(st.integers(2, 6)), draw(st.integers(2, 6)), draw(st.integers(1, 3))
    fh, fw = draw(st.integers(1, min(h, 3))), draw(st.integers(1, min(wd, 3)))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    padding, act, units = draw(PADS), draw(ACTS), draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["avg", "max"]))
    x = arrays(draw, (1, h, wd, c))
    pooled = ref.pool2d(x, kind, (fh, fw), (sh, sw), padding, act)
    flat = int(np.prod(pooled.shape))
    fc_w, fc_b = arrays(draw, (units, flat)), arrays(draw, (units,))
    want = ref.fully_connected(pooled, fc_w, fc_b, act)

    w = TFLiteWriter()
    xi = w.add_input("x", x.shape)
    p = w.add_tensor("pooled", pooled.shape)
    w.add_op("AVERAGE_POOL_2D" if kind == "avg" else "MAX_POOL_2D", [xi], [p],
             padding=padding, filter_height=fh, filter_width=fw, stride_h=sh, stride_w=sw,
             fused_activation_function=act)
    y = w.add_tensor("y", want.shape)
    w.add_op("FULLY_CONNECTED", [p, w.add_constant("w", fc_w), w.add_constant("b", fc_b)],
             [y], fused_activation_function=act)
    w.mark_output(p)
    w.mark_output(y)
    got_pool, got = run(w, x)
    np.testing.assert_allclose(got_pool, pooled, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.data())
def test_float_elementwise_and_activations(data):
    draw = data.draw
    shape = (1, draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    bshape = draw(st.sampled_from([shape, shape[-1:], (1, 1, 1, shape[-1]), (1,)]))
    x, c = arrays(draw, shape), arrays(draw, bshape)
    act = draw(ACTS)
    beta = draw(st.sampled_from([1.0, 0.5, 2.0]))
    x64 = x.astype(np.float64)
    wants = {
        "ADD": ref.activation(x64 + c, act), "SUB": ref.activation(x64 - c, act),
        "MUL": ref.activation(x64 * c, act), "RELU": np.maximum(x64, 0),
        "RELU6": np.clip(x64, 0, 6), "TANH": np.tanh(x64), "LOGISTIC": ref.logistic(x64),
        "SOFTMAX": ref.softmax(x64, beta),
        # ops no built-in layer converts (third-party plugins' territory)
        "LEAKY_RELU": np.where(x64 >= 0, x64, 0.2 * x64),
        "HARD_SWISH": x64 * np.clip(x64 + 3, 0, 6) / 6,
    }
    w = TFLiteWriter()
    xi = w.add_input("x", shape)
    ci = w.add_constant("c", c)
    for op in wants:
        y = w.add_tensor(op.lower(), shape)
        if op in ("ADD", "SUB", "MUL"):
            w.add_op(op, [xi, ci], [y], fused_activation_function=act)
        elif op == "SOFTMAX":
            w.add_op(op, [xi], [y], beta=beta)
        elif op == "LEAKY_RELU":
            w.add_op(op, [xi], [y], alpha=0.2)
        else:
            w.add_op(op, [xi], [y])
        w.mark_output(y)
    outs = run(w, x)
    for (op, want), got in zip(wants.items(), outs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=op)


@SETTINGS
@given(st.data())
def test_float_shape_ops(data):
    draw = data.draw
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=4, max_size=4)))
    x, x2 = arrays(draw, shape), arrays(draw, shape)
    perm = draw(st.permutations(range(4)))
    pads = np.array([[draw(st.integers(0, 2)) for _ in range(2)] for _ in range(4)],
                    dtype=np.int32)
    axis = draw(st.integers(0, 3))
    axes = sorted(draw(st.sets(st.integers(1, 3), min_size=1, max_size=2)))
    keep = draw(st.booleans())
    new_shape = (int(np.prod(shape[:2])), -1)
    want_reshape = x.reshape(new_shape)
    wants = {
        "RESHAPE": want_reshape,
        "TRANSPOSE": np.transpose(x, perm),
        "PAD": np.pad(x, pads),
        "CONCATENATION": np.concatenate([x, x2], axis=axis),
        "MEAN": x.astype(np.float64).mean(axis=tuple(axes), keepdims=keep),
    }
    w = TFLiteWriter()
    xi, x2i = w.add_input("x", shape), w.add_input("x2", shape)
    outs = {op: w.add_tensor(op.lower(), want.shape) for op, want in wants.items()}
    w.add_op("RESHAPE", [xi, w.add_constant("s", np.array(want_reshape.shape, np.int32))],
             [outs["RESHAPE"]], new_shape=list(want_reshape.shape))
    w.add_op("TRANSPOSE", [xi, w.add_constant("perm", np.array(perm, np.int32))],
             [outs["TRANSPOSE"]])
    w.add_op("PAD", [xi, w.add_constant("pads", pads)], [outs["PAD"]])
    w.add_op("CONCATENATION", [xi, x2i], [outs["CONCATENATION"]], axis=axis)
    w.add_op("MEAN", [xi, w.add_constant("axes", np.array(axes, np.int32))], [outs["MEAN"]],
             keep_dims=keep)
    for o in outs.values():
        w.mark_output(o)
    got = run(w, x, x2)
    for (op, want), g in zip(wants.items(), got, strict=True):
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6, err_msg=op)


# -- int8 -------------------------------------------------------------------------------


def assert_within_steps(got_q, q: Quant, want, steps: float, what: str = ""):
    err = np.abs(dequantize(got_q, q) - want).max(initial=0.0)
    assert err <= steps * q.scales()[0] * (1 + 1e-6), f"{what}: error {err} > {steps} steps"


@SETTINGS
@given(conv_cases(), st.booleans())
def test_int8_conv_per_channel(case, depthwise):
    x, k, b, stride, dilation, padding, act, _ = case
    mult = 1
    if depthwise:
        k = k[:1]  # (1, kh, kw, cin): a depthwise kernel with multiplier 1
        b = np.resize(b, x.shape[3])
    xq_p = affine_params(x.min(), x.max())
    wq_p = symmetric_params(k, axis=3 if depthwise else 0)
    xq, kq = quantize(x, xq_p), quantize(k, wq_p)
    xd, kd = dequantize(xq, xq_p), dequantize(kq, wq_p)
    bias_scale = xq_p.scales()[0].astype(np.float64) * wq_p.scales().astype(np.float64)
    bq = np.round(b / bias_scale).astype(np.int32)
    bd = bq * bias_scale
    if depthwise:
        want = ref.depthwise_conv2d(xd, kd, bd, mult, stride, dilation, padding, act)
    else:
        want = ref.conv2d(xd, kd, bd, stride, dilation, padding, act)
    yq_p = affine_params(want.min(), want.max())

    w = TFLiteWriter()
    xi = w.add_input("x", x.shape, "int8", xq_p)
    ki = w.add_constant("k", kq, "int8", wq_p)
    bi = w.add_constant("b", bq, "int32", Quant(bias_scale.tolist(), [0] * len(bias_scale)))
    y = w.add_tensor("y", want.shape, "int8", yq_p)
    opts = dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
                fused_activation_function=act)
    if depthwise:
        w.add_op("DEPTHWISE_CONV_2D", [xi, ki, bi], [y], depth_multiplier=1, **opts)
    else:
        w.add_op("CONV_2D", [xi, ki, bi], [y], **opts)
    w.mark_output(y)
    (got,) = run(w, xq)
    assert got.dtype == np.int8
    assert_within_steps(got, yq_p, want, 1.0, "conv")


@SETTINGS
@given(st.data())
def test_int8_fc_pool_elementwise_activations(data):
    draw = data.draw
    shape = (1, draw(st.integers(2, 4)), draw(st.integers(2, 4)), draw(st.integers(1, 3)))
    x, c = arrays(draw, shape), arrays(draw, shape[-1:])
    units = draw(st.integers(1, 4))
    xq_p, cq_p = affine_params(x.min(), x.max()), affine_params(c.min(), c.max())
    xq, cq = quantize(x, xq_p), quantize(c, cq_p)
    xd, cd = dequantize(xq, xq_p), dequantize(cq, cq_p)
    flat = int(np.prod(shape))
    fc_w = arrays(draw, (units, flat))
    fq_p = symmetric_params(fc_w)
    fq = quantize(fc_w, fq_p)
    wants = {
        "AVERAGE_POOL_2D": ref.pool2d(xd, "avg", (2, 2), (1, 1), "VALID"),
        "MAX_POOL_2D": ref.pool2d(xd, "max", (2, 2), (1, 1), "VALID"),
        "ADD": xd + cd, "SUB": xd - cd, "MUL": xd * cd,
        "FULLY_CONNECTED": ref.fully_connected(xd, dequantize(fq, fq_p), None),
        "SOFTMAX": ref.softmax(xd), "LOGISTIC": ref.logistic(xd), "TANH": np.tanh(xd),
        "RELU": np.maximum(xd, 0), "RELU6": np.clip(xd, 0, 6),
    }
    fixed = {"SOFTMAX": Quant(1 / 256, -128), "LOGISTIC": Quant(1 / 256, -128),
             "TANH": Quant(1 / 128, 0), "MAX_POOL_2D": xq_p, "AVERAGE_POOL_2D": xq_p}
    # pools keep the input quantisation (TFLite requires it), so the average rounds once
    steps = {"SOFTMAX": 2.0, "LOGISTIC": 2.0, "TANH": 2.0}

    w = TFLiteWriter()
    xi = w.add_input("x", shape, "int8", xq_p)
    ci = w.add_constant("c", cq, "int8", cq_p)
    qs = {}
    for op, want in wants.items():
        qs[op] = fixed.get(op) or affine_params(want.min(), want.max())
        y = w.add_tensor(op.lower(), want.shape, "int8", qs[op])
        if op in ("ADD", "SUB", "MUL"):
            w.add_op(op, [xi, ci], [y])
        elif op.endswith("POOL_2D"):
            w.add_op(op, [xi], [y], filter_height=2, filter_width=2)
        elif op == "FULLY_CONNECTED":
            w.add_op(op, [xi, w.add_constant("w", fq, "int8", fq_p), -1], [y])
        else:
            w.add_op(op, [xi], [y])
        w.mark_output(y)
    outs = run(w, xq)
    for (op, want), got in zip(wants.items(), outs, strict=True):
        assert_within_steps(got, qs[op], want, steps.get(op, 1.0), op)


def test_quantize_dequantize_ops_match_the_numpy_helpers():
    x = np.linspace(-3, 5, 24, dtype=np.float32).reshape(1, 2, 3, 4)
    q = affine_params(-3, 5)
    w = TFLiteWriter()
    xi = w.add_input("x", x.shape)
    xq = w.add_tensor("xq", x.shape, "int8", q)
    xd = w.add_tensor("xd", x.shape)
    w.add_op("QUANTIZE", [xi], [xq])
    w.add_op("DEQUANTIZE", [xq], [xd])
    w.mark_output(xq)
    w.mark_output(xd)
    got_q, got_d = run(w, x)
    # TFLite rounds half away from zero, numpy half to even: equal off the .5 ties
    ours = quantize(x, q)
    assert np.abs(got_q.astype(int) - ours).max() <= 1
    np.testing.assert_allclose(got_d, dequantize(got_q, q), rtol=1e-6)
    assert np.abs(got_d - x).max() <= q.scales()[0] / 2 * (1 + 1e-5)


@SETTINGS
@given(st.data())
def test_int8_shape_ops(data):
    draw = data.draw
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=4, max_size=4)))
    x = arrays(draw, shape)
    q = affine_params(x.min(), x.max())
    xq = quantize(x, q)
    xd = dequantize(xq, q)
    perm = draw(st.permutations(range(4)))
    pads = np.array([[draw(st.integers(0, 2)) for _ in range(2)] for _ in range(4)],
                    dtype=np.int32)
    axis = draw(st.integers(0, 3))
    axes = sorted(draw(st.sets(st.integers(1, 3), min_size=1, max_size=2)))
    flat = (1, int(np.prod(shape)))
    # these ops keep the input's quantisation (PAD fills with the zero point, i.e. 0.0)
    exact = {"RESHAPE": xq.reshape(flat), "TRANSPOSE": np.transpose(xq, perm),
             "PAD": np.pad(xq, pads, constant_values=q.zero_points()[0]),
             "CONCATENATION": np.concatenate([xq, xq], axis=axis)}
    want_mean = xd.mean(axis=tuple(axes), keepdims=True)
    q_mean = affine_params(want_mean.min(), want_mean.max())

    w = TFLiteWriter()
    xi = w.add_input("x", shape, "int8", q)
    outs = {op: w.add_tensor(op.lower(), v.shape, "int8", q) for op, v in exact.items()}
    w.add_op("RESHAPE", [xi, w.add_constant("s", np.array(flat, np.int32))],
             [outs["RESHAPE"]], new_shape=list(flat))
    w.add_op("TRANSPOSE", [xi, w.add_constant("perm", np.array(perm, np.int32))],
             [outs["TRANSPOSE"]])
    w.add_op("PAD", [xi, w.add_constant("pads", pads)], [outs["PAD"]])
    w.add_op("CONCATENATION", [xi, xi], [outs["CONCATENATION"]], axis=axis)
    m = w.add_tensor("mean", want_mean.shape, "int8", q_mean)
    w.add_op("MEAN", [xi, w.add_constant("axes", np.array(axes, np.int32))], [m],
             keep_dims=True)
    for o in (*outs.values(), m):
        w.mark_output(o)
    got = run(w, xq)
    for (op, want), g in zip(exact.items(), got[:-1], strict=True):
        np.testing.assert_array_equal(g, want, err_msg=op)
    # MEAN requantises to its own output scale: one rounding
    assert_within_steps(got[-1], q_mean, want_mean, 1.0, "MEAN")


def test_writer_rejects_unknown_ops_options_and_indices():
    w = TFLiteWriter()
    x = w.add_input("x", (1, 2))
    with pytest.raises(ValueError, match="unknown TFLite builtin operator"):
        w.add_op("NOT_AN_OP", [x], [x])
    with pytest.raises(ValueError, match=r"indices \[5\] out of range"):
        w.add_op("RELU", [x], [5])
    with pytest.raises(ValueError, match="no tensor 3"):
        w.mark_output(3)
    w.add_op("RELU", [x], [x], bogus=1)
    with pytest.raises(ValueError, match="takes no builtin options"):
        w.to_bytes()
    w2 = TFLiteWriter()
    x2 = w2.add_input("x", (1, 2))
    w2.add_op("SOFTMAX", [x2], [x2], bogus=1)
    with pytest.raises(ValueError, match="SoftmaxOptions has no field 'bogus'"):
        w2.to_bytes()

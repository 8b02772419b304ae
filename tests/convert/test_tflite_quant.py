"""TFLite's requantisation arithmetic (zkml_core.convert.tflite_quant) is bit-exact: int8
CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED models with random scales, zero points,
biases and fused activations give exactly the interpreter's (BUILTIN_REF) outputs when
recomputed in numpy integers with these helpers; ties show which rounding each kernel
uses (two roundings for convolutions, one for FULLY_CONNECTED)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import tflite_refs as ref
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.convert.tflite_quant import (
    activation_range,
    add_int8,
    add_params,
    conv_multipliers,
    fc_multiplier,
    mul_int8,
    mul_multiplier,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_single,
    quantize_multiplier,
)
from zkml_core.convert.tflite_writer import Quant, TFLiteWriter

SETTINGS = settings(max_examples=25, deadline=None)


@given(st.floats(1e-9, 1e3, allow_nan=False))
def test_quantize_multiplier_represents_the_real_value(real):
    m, shift = quantize_multiplier(real)
    assert 2**30 <= m < 2**31
    approx = Fraction(m) * Fraction(2) ** (shift - 31)
    # a 31-bit mantissa: relative error at most 2^-31
    assert abs(approx - Fraction(real)) <= Fraction(real) * Fraction(1, 2**31)


def _one_weight_model(op: str, x: np.ndarray, weight_scale: float) -> bytes:
    """y = x * weight_scale requantised to scale 1: every x * multiplier is visible."""
    wr = TFLiteWriter()
    xi = wr.add_input("x", x.shape, "int8", Quant(1.0, 0))
    if op == "FULLY_CONNECTED":
        k = wr.add_constant("w", np.ones((1, 1), np.int8), "int8", Quant(weight_scale, 0))
        b = wr.add_constant("b", np.zeros(1, np.int32), "int32", Quant(weight_scale, 0))
        extra = {}
    else:
        axis = 3 if op == "DEPTHWISE_CONV_2D" else 0
        k = wr.add_constant("w", np.ones((1, 1, 1, 1), np.int8), "int8",
                            Quant([weight_scale], [0], axis=axis))
        b = wr.add_constant("b", np.zeros(1, np.int32), "int32", Quant([weight_scale], [0]))
        extra = {"depth_multiplier": 1} if axis == 3 else {}
    y = wr.add_tensor("y", x.shape, "int8", Quant(1.0, 0))
    wr.add_op(op, [xi, k, b], [y], **extra)
    wr.mark_output(y)
    return wr.to_bytes()


@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"])
def test_rounding_of_ties_per_kernel(op):
    # multipliers k / 2^j make x * multiplier hit exact halves, where the roundings differ
    xs = np.arange(-60, 61, dtype=np.int64)
    for j in (4, 5, 6, 7):
        for num in (1, 3, 5, 7):
            shape = (len(xs), 1) if op == "FULLY_CONNECTED" else (1, 1, len(xs), 1)
            x = xs.astype(np.int8).reshape(shape)
            (got,) = ref.run_interpreter(_one_weight_model(op, x, num / 2**j), x)
            m, shift = quantize_multiplier(num / 2**j)
            if op == "FULLY_CONNECTED":
                want = multiply_by_quantized_multiplier_single(xs, m, shift)
                # one rounding, half away from zero: exact rationals as the reference
                exact = [Fraction(int(v) * num, 2**j) for v in xs]
                away = [int(math.copysign(math.floor(abs(e) + Fraction(1, 2)), e)) for e in exact]
                assert want.tolist() == away
            else:
                want = multiply_by_quantized_multiplier(xs, m, shift)
            np.testing.assert_array_equal(got.ravel(), np.clip(want, -128, 127), err_msg=f"{num}/2^{j}")
    # the two rules really differ here: 1 * 1/4 is 1 with two roundings, 0 with one
    m, shift = quantize_multiplier(0.25)
    assert multiply_by_quantized_multiplier(np.array([1]), m, shift).tolist() == [1]
    assert multiply_by_quantized_multiplier_single(np.array([1]), m, shift).tolist() == [0]


def _draw_q(draw, lo=0.005, hi=0.2, zp=True):
    scale = draw(st.floats(lo, hi))
    return float(np.float32(scale)), (draw(st.integers(-100, 100)) if zp else 0)


@SETTINGS
@given(st.data())
def test_int8_conv_and_depthwise_are_bit_exact(data):
    draw = data.draw
    depthwise = draw(st.booleans())
    h, w, c = draw(st.integers(2, 6)), draw(st.integers(2, 6)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, min(h, 3))), draw(st.integers(1, min(w, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    act = draw(st.sampled_from(["NONE", "RELU", "RELU6"]))
    o = c if depthwise else draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    s_in, zp_in = _draw_q(draw)
    s_out, zp_out = _draw_q(draw, 0.01, 0.5)
    w_scales = rng.uniform(0.002, 0.05, o).astype(np.float32)
    xq = rng.integers(-128, 128, (1, h, w, c)).astype(np.int8)
    wq = rng.integers(-127, 128, (1, kh, kw, o) if depthwise else (o, kh, kw, c)).astype(np.int8)
    bias = rng.integers(-2000, 2000, o).astype(np.int32)

    # numpy integer reference: exact float64 sums of small integer products
    xs = xq.astype(np.float64) - zp_in
    if depthwise:
        acc = ref.depthwise_conv2d(xs, wq, None, 1, stride, (1, 1), padding)
    else:
        acc = ref.conv2d(xs, wq, None, stride, (1, 1), padding)
    acc = np.rint(acc).astype(np.int64) + bias
    mult, shift = conv_multipliers(s_in, w_scales, s_out)
    lo, hi = activation_range(act, s_out, zp_out)
    want = np.clip(multiply_by_quantized_multiplier(acc, mult, shift) + zp_out, lo, hi)

    wr = TFLiteWriter()
    x = wr.add_input("x", xq.shape, "int8", Quant(s_in, zp_in))
    k = wr.add_constant("k", wq, "int8",
                        Quant(w_scales.tolist(), [0] * o, axis=3 if depthwise else 0))
    b_scales = (np.float64(s_in) * w_scales.astype(np.float64)).tolist()
    b = wr.add_constant("b", bias, "int32", Quant(b_scales, [0] * o))
    y = wr.add_tensor("y", want.shape, "int8", Quant(s_out, zp_out))
    opts = dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                fused_activation_function=act)
    if depthwise:
        wr.add_op("DEPTHWISE_CONV_2D", [x, k, b], [y], depth_multiplier=1, **opts)
    else:
        wr.add_op("CONV_2D", [x, k, b], [y], **opts)
    wr.mark_output(y)
    (got,) = ref.run_interpreter(wr.to_bytes(), xq)
    np.testing.assert_array_equal(got, want)


@SETTINGS
@given(st.data())
def test_int8_fully_connected_is_bit_exact(data):
    draw = data.draw
    n_in, n_out = draw(st.integers(1, 24)), draw(st.integers(1, 6))
    act = draw(st.sampled_from(["NONE", "RELU", "RELU6"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    s_in, zp_in = _draw_q(draw)
    s_w, _ = _draw_q(draw, 0.002, 0.05, zp=False)
    s_out, zp_out = _draw_q(draw, 0.01, 0.5)
    xq = rng.integers(-128, 128, (2, n_in)).astype(np.int8)
    wq = rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)
    bias = rng.integers(-3000, 3000, n_out).astype(np.int32)

    acc = (xq.astype(np.int64) - zp_in) @ wq.astype(np.int64).T + bias
    mult, shift = fc_multiplier(s_in, s_w, s_out)
    lo, hi = activation_range(act, s_out, zp_out)
    want = np.clip(multiply_by_quantized_multiplier_single(acc, mult, shift) + zp_out, lo, hi)

    wr = TFLiteWriter()
    x = wr.add_input("x", xq.shape, "int8", Quant(s_in, zp_in))
    k = wr.add_constant("w", wq, "int8", Quant(s_w, 0))
    b = wr.add_constant("b", bias, "int32", Quant(float(np.float32(s_in) * np.float32(s_w)), 0))
    y = wr.add_tensor("y", want.shape, "int8", Quant(s_out, zp_out))
    wr.add_op("FULLY_CONNECTED", [x, k, b], [y], fused_activation_function=act)
    wr.mark_output(y)
    (got,) = ref.run_interpreter(wr.to_bytes(), xq)
    np.testing.assert_array_equal(got, want)


@SETTINGS
@given(st.data())
def test_int8_add_sub_mul_are_bit_exact(data):
    draw = data.draw
    shape = (1, draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    bshape = draw(st.sampled_from([shape, shape[-1:]]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    s1, zp1 = _draw_q(draw, 0.005, 0.2)
    s2, zp2 = _draw_q(draw, 0.005, 0.2)
    act = draw(st.sampled_from(["NONE", "RELU", "RELU6"]))
    x1 = rng.integers(-128, 128, shape).astype(np.int8)
    x2 = rng.integers(-128, 128, bshape).astype(np.int8)
    outs = {}
    wr = TFLiteWriter()
    a = wr.add_input("a", shape, "int8", Quant(s1, zp1))
    b = wr.add_constant("b", x2, "int8", Quant(s2, zp2))
    for op in ("ADD", "SUB", "MUL"):
        s_out, zp_out = _draw_q(draw, 0.01, 0.5) if op != "MUL" else _draw_q(draw, 0.05, 2.0)
        lo, hi = activation_range(act, s_out, zp_out)
        if op == "MUL":
            want = mul_int8(x1, x2, (zp1, zp2, zp_out), mul_multiplier(s1, s2, s_out), lo, hi)
        else:
            want = add_int8(x1, x2, (zp1, zp2, zp_out), add_params(s1, s2, s_out), lo, hi,
                            subtract=op == "SUB")
        y = wr.add_tensor(op.lower(), shape, "int8", Quant(s_out, zp_out))
        wr.add_op(op, [a, b], [y], fused_activation_function=act)
        wr.mark_output(y)
        outs[op] = want
    got = ref.run_interpreter(wr.to_bytes(), x1)
    for (op, want), g in zip(outs.items(), got, strict=True):
        np.testing.assert_array_equal(g, want, err_msg=op)

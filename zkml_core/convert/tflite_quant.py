"""TFLite's integer requantisation arithmetic, bit-exact, on numpy int64 arrays.

int8 kernels accumulate in int32 and rescale to the output's scale with a fixed-point
multiplier: ``real_multiplier ~= multiplier * 2^(shift - 31)``, ``multiplier`` in
``[2^30, 2^31)``. These functions follow TFLite's reference implementation (the default
"double rounding" build that ai-edge-litert ships), so the converter can compute the
integer params of int8 layers and layer plugins can reproduce the interpreter exactly:

- :func:`quantize_multiplier` (``QuantizeMultiplier``);
- :func:`multiply_by_quantized_multiplier` (``MultiplyByQuantizedMultiplier``: a
  saturating rounding doubling high multiply, then a rounding right shift: two
  roundings), the rule of CONV_2D and DEPTHWISE_CONV_2D;
- :func:`multiply_by_quantized_multiplier_single`: one rounding of ``x * multiplier``
  (half away from zero), the rule int8 FULLY_CONNECTED follows in ai-edge-litert 2.3's
  reference kernels (measured: the two differ on ties, e.g. 1 * 0.25 -> 1 vs 0);
- :func:`conv_multipliers` / :func:`fc_multiplier`: the effective scales of CONV_2D /
  DEPTHWISE_CONV_2D (per channel, in double) and per-tensor FULLY_CONNECTED (the scale
  product in float32 first, as TFLite's ``GetQuantizedConvolutionMultipler``);
- :func:`activation_range`: the int8 clamp of a fused activation;
- :func:`add_params` / :func:`add_int8` (ADD and SUB: inputs shifted left 20 bits and
  rescaled to twice the larger input scale), :func:`mul_multiplier` /
  :func:`mul_int8`, and :func:`rounded_average` (AVERAGE_POOL_2D).

tests/convert/test_tflite_quant.py checks them bit for bit against the interpreter
(random scales, zero points, broadcasting and fused activations).
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_QRANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def _round_half_away(x: float) -> int:
    """C's std::round: halves away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """``(multiplier, shift)`` with ``real ~= multiplier * 2^(shift - 31)`` (TFLite's rule)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = _round_half_away(q * 2**31)
    if q_fixed == 2**31:
        q_fixed //= 2
        shift += 1
    if shift < -31:  # would shift every bit out: flushed to zero
        return 0, 0
    if shift > 30:
        return INT32_MAX, 30
    return q_fixed, shift


def _trunc_div_pow2(x: np.ndarray, bits: int) -> np.ndarray:
    """C integer division by 2^bits (truncation toward zero)."""
    q = np.abs(x) >> bits
    return np.where(x < 0, -q, q)


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp's SaturatingRoundingDoublingHighMul on int32 values held in int64."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b  # |a|, |b| <= 2^31: fits int64
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    high = _trunc_div_pow2(ab + nudge, 31)
    return np.where((a == INT32_MIN) & (b == INT32_MIN), np.int64(INT32_MAX), high)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier: np.ndarray | int,
                                     shift: np.ndarray | int) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplier; ``multiplier``/``shift`` broadcast over x."""
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    x = np.asarray(x, dtype=np.int64) << left
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), right)


def multiply_by_quantized_multiplier_single(x: np.ndarray, multiplier: np.ndarray | int,
                                            shift: np.ndarray | int) -> np.ndarray:
    """``x * multiplier * 2^(shift - 31)`` rounded once, half away from zero (int8 FC)."""
    prod = np.asarray(x, dtype=np.int64) * np.asarray(multiplier, dtype=np.int64)
    return rounding_divide_by_pot(prod, 31 - np.asarray(shift, dtype=np.int64))


def conv_multipliers(input_scale: float, filter_scales, output_scale: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multipliers, shifts) of an int8 CONV_2D / DEPTHWISE_CONV_2D."""
    pairs = [quantize_multiplier(float(np.float32(input_scale)) * float(np.float32(s))
                                 / float(np.float32(output_scale)))
             for s in np.atleast_1d(filter_scales)]
    return (np.array([m for m, _ in pairs], dtype=np.int64),
            np.array([s for _, s in pairs], dtype=np.int64))


def fc_multiplier(input_scale: float, filter_scale: float, output_scale: float
                  ) -> tuple[int, int]:
    """(multiplier, shift) of a per-tensor int8 FULLY_CONNECTED."""
    product = float(np.float32(input_scale) * np.float32(filter_scale))  # float32 product
    return quantize_multiplier(product / float(np.float32(output_scale)))


def activation_range(activation: str, scale: float, zero_point: int,
                     dtype: str = "int8") -> tuple[int, int]:
    """The quantised clamp ``[lo, hi]`` of a fused activation (NONE, RELU, RELU6, RELU_N1_TO_1)."""
    qmin, qmax = _QRANGE[dtype]

    def q(f: float) -> int:  # TFLite: zero_point + round(f / scale) in float32
        return zero_point + _round_half_away(float(np.float32(f) / np.float32(scale)))

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, q(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"no quantised range for fused activation {activation}")


# -- elementwise int8 ops ---------------------------------------------------------------

#: int8 ADD / SUB shift both inputs left by 20 bits before rescaling them
ADD_LEFT_SHIFT = 20


def add_params(scale1: float, scale2: float, output_scale: float
               ) -> tuple[int, int, int, int, int, int]:
    """(m1, shift1, m2, shift2, m_out, shift_out) of an int8 ADD / SUB: each input is
    rescaled to twice the larger input scale, the sum to the output scale."""
    s1, s2, so = (np.float32(v) for v in (scale1, scale2, output_scale))
    twice_max = float(np.float32(2) * max(s1, s2))
    m1, sh1 = quantize_multiplier(float(s1) / twice_max)
    m2, sh2 = quantize_multiplier(float(s2) / twice_max)
    mo, sho = quantize_multiplier(twice_max / float(np.float32(1 << ADD_LEFT_SHIFT) * so))
    return m1, sh1, m2, sh2, mo, sho


def add_int8(x1: np.ndarray, x2: np.ndarray, zero_points: tuple[int, int, int],
             params: tuple[int, int, int, int, int, int], lo: int, hi: int,
             subtract: bool = False) -> np.ndarray:
    """TFLite's int8 ADD (or SUB) of broadcastable int arrays, clamped to ``[lo, hi]``."""
    zp1, zp2, zp_out = zero_points
    m1, sh1, m2, sh2, mo, sho = params
    a = multiply_by_quantized_multiplier(
        (np.asarray(x1, np.int64) - zp1) << ADD_LEFT_SHIFT, m1, sh1)
    b = multiply_by_quantized_multiplier(
        (np.asarray(x2, np.int64) - zp2) << ADD_LEFT_SHIFT, m2, sh2)
    raw = a - b if subtract else a + b
    return np.clip(multiply_by_quantized_multiplier(raw, mo, sho) + zp_out, lo, hi)


def mul_multiplier(scale1: float, scale2: float, output_scale: float) -> tuple[int, int]:
    """(multiplier, shift) of an int8 MUL: the scale arithmetic is float32, as TFLite's."""
    real = np.float32(scale1) * np.float32(scale2) / np.float32(output_scale)
    return quantize_multiplier(float(real))


def mul_int8(x1: np.ndarray, x2: np.ndarray, zero_points: tuple[int, int, int],
             multiplier: tuple[int, int], lo: int, hi: int) -> np.ndarray:
    """TFLite's int8 MUL of broadcastable int arrays, clamped to ``[lo, hi]``."""
    zp1, zp2, zp_out = zero_points
    prod = (np.asarray(x1, np.int64) - zp1) * (np.asarray(x2, np.int64) - zp2)
    return np.clip(multiply_by_quantized_multiplier(prod, *multiplier) + zp_out, lo, hi)


def rounded_average(total: np.ndarray, count: np.ndarray | int) -> np.ndarray:
    """int8 AVERAGE_POOL_2D: a window's sum over its ``count`` valid taps divided by the
    count, halves away from zero (C's truncating division of sum +- count/2)."""
    total = np.asarray(total, dtype=np.int64)
    count = np.asarray(count, dtype=np.int64)
    num = np.where(total > 0, total + count // 2, total - count // 2)
    return np.sign(num) * (np.abs(num) // count)

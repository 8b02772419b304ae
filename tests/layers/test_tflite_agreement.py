"""Conv2D and AveragePool2D float semantics against TFLite's reference kernels.

Single-op float32 models are written with zkml_core.convert.tflite_writer and run by the
ai-edge-litert interpreter (BUILTIN_REF): this pins SAME padding (TensorFlow's formula,
extra row/column after), strides, depthwise channel order and the fused activations to
what TFLite computes. Tolerance 1e-4: float32 sums of at most 3*3*3 products of values
below 4 in magnitude.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.avg_pool_2d import AveragePool2D
from zkml_plugins.layers.conv2d import Conv2D

from zkml_core.convert.tflite_writer import TFLiteWriter

ACTS = {0: "NONE", 1: "RELU", 3: "RELU6"}
FLOATS = st.floats(-4, 4, width=32)


def run_tflite(writer: TFLiteWriter, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=writer.to_bytes(),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x.astype(np.float32))
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).astype(np.float64)


@st.composite
def conv_cases(draw):
    depthwise = draw(st.booleans())
    padding = draw(st.sampled_from([0, 1]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(kh if padding else 1, 7))
    w = draw(st.integers(kw if padding else 1, 7))
    c = draw(st.integers(1, 3))
    mult = draw(st.integers(1, 2))
    o = c * mult if depthwise else draw(st.integers(1, 3))
    w_shape = (1, kh, kw, o) if depthwise else (o, kh, kw, c)
    x = draw(hnp.arrays(np.float32, (1, h, w, c), elements=FLOATS))
    wt = draw(hnp.arrays(np.float32, w_shape, elements=FLOATS))
    b = draw(hnp.arrays(np.float32, (o,), elements=FLOATS))
    act = draw(st.sampled_from(sorted(ACTS)))
    return x, wt, b, depthwise, padding, (sh, sw), act, mult


@settings(max_examples=30, deadline=None)
@given(conv_cases())
def test_conv2d_float_matches_tflite(make_spec, make_ctx, case):
    x, wt, b, depthwise, padding, (sh, sw), act, mult = case
    o = b.shape[0]
    if padding == 0:
        oh, ow = -(-x.shape[1] // sh), -(-x.shape[2] // sw)
    else:
        oh, ow = (x.shape[1] - wt.shape[1]) // sh + 1, (x.shape[2] - wt.shape[2]) // sw + 1
    writer = TFLiteWriter()
    xi = writer.add_input("x", x.shape)
    ki, bi = writer.add_constant("w", wt), writer.add_constant("b", b)
    y = writer.add_tensor("y", (1, oh, ow, o))
    opts = dict(padding="SAME" if padding == 0 else "VALID", stride_h=sh, stride_w=sw,
                fused_activation_function=ACTS[act])
    if depthwise:
        writer.add_op("DEPTHWISE_CONV_2D", [xi, ki, bi], [y], depth_multiplier=mult, **opts)
    else:
        writer.add_op("CONV_2D", [xi, ki, bi], [y], **opts)
    writer.mark_output(y)
    want = run_tflite(writer, x)
    layer = Conv2D(make_spec("Conv2D", [int(depthwise), padding, act, sh, sw],
                             [x.shape, wt.shape, b.shape], [(1, oh, ow, o)]))
    (got,) = layer.forward_float([x.astype(np.float64), wt.astype(np.float64),
                                  b.astype(np.float64)], make_ctx(512))
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(3, 7), st.integers(3, 7), st.integers(1, 3), st.data())
def test_avg_pool_float_matches_tflite(make_spec, make_ctx, fh, fw, sh, sw, h, w, c, data):
    x = data.draw(hnp.arrays(np.float32, (1, h, w, c), elements=FLOATS))
    oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    writer = TFLiteWriter()
    xi = writer.add_input("x", x.shape)
    y = writer.add_tensor("y", (1, oh, ow, c))
    writer.add_op("AVERAGE_POOL_2D", [xi], [y], padding="VALID", stride_h=sh, stride_w=sw,
                  filter_height=fh, filter_width=fw)
    writer.mark_output(y)
    want = run_tflite(writer, x)
    layer = AveragePool2D(make_spec("AveragePool2D", [fh, fw, sh, sw], [x.shape],
                                    [(1, oh, ow, c)]))
    (got,) = layer.forward_float([x.astype(np.float64)], make_ctx(512))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)

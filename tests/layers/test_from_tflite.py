"""The layers' converter steps: MNIST converts exactly as zkml's own converter did, and
variants the layers cannot express are refused by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.tflite_reader import read_tflite
from zkml_core.convert.tflite_writer import TFLiteWriter
from zkml_core.errors import UnsupportedError
from zkml_core.model import load_model
from zkml_core.plugins import Registry

MNIST = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "zkml-mnist"


@pytest.fixture(scope="module")
def layers():
    from zkml_plugins.layers import add, avg_pool_2d, conv2d, mul, reshape, sub

    registry = Registry(autoload=False)
    for module in (add, avg_pool_2d, conv2d, mul, reshape, sub):
        registry.register(module)
    return registry.layers()


def test_mnist_converts_like_zkml(layers):
    if not (MNIST / "model.tflite").is_file():
        pytest.skip(f"zkml fixtures not found at {MNIST} (../shared next to the repository)")
    want = load_model(MNIST / "model.msgpack")
    got = convert(read_tflite(MNIST / "model.tflite"), layers,
                  ConvertOptions(scale_factor=512, k=15, num_cols=7, end_layer=16))
    assert got.layers == want.layers
    assert [(t.idx, t.shape) for t in got.tensors] == [(t.idx, t.shape) for t in want.tensors]
    for g, w in zip(got.tensors, want.tensors, strict=True):
        np.testing.assert_array_equal(g.data, w.data)


def _graph(tmp_path, build):
    w = TFLiteWriter()
    x = w.add_input("x", (1, 4, 4, 2))
    y = build(w, x)
    w.mark_output(y)
    path = tmp_path / "m.tflite"
    w.save(path)
    return read_tflite(path)


def test_small_graph_with_every_layer(tmp_path, layers):
    def build(w, x):
        k = w.add_constant("k", np.ones((3, 2, 2, 2), np.float32) / 8)
        c = w.add_tensor("c", (1, 2, 2, 3))
        cb = w.add_constant("cb", np.array([0.5, -0.25, 0], np.float32))
        w.add_op("CONV_2D", [x, k, cb], [c], padding="SAME", stride_h=2, stride_w=2,
                 fused_activation_function="RELU6")
        d = w.add_constant("d", np.array([[[[1.5, -2.0]]]], np.float32))
        dw = w.add_tensor("dw", (1, 4, 4, 2))
        w.add_op("DEPTHWISE_CONV_2D", [x, d, w.add_constant("b", np.zeros(2, np.float32))],
                 [dw], depth_multiplier=1)
        p = w.add_tensor("p", (1, 2, 2, 2))
        w.add_op("AVERAGE_POOL_2D", [dw], [p], filter_height=2, filter_width=2, stride_h=2,
                 stride_w=2)
        s = w.add_tensor("s", (1, 2, 2, 3))
        w.add_op("ADD", [c, w.add_constant("one", np.ones(3, np.float32))], [s],
                 fused_activation_function="RELU")
        m = w.add_tensor("m", (1, 2, 2, 3))
        w.add_op("MUL", [s, s], [m])
        n = w.add_tensor("n", (1, 2, 2, 3))
        w.add_op("SUB", [m, s], [n])
        r = w.add_tensor("r", (1, 12))
        w.add_op("RESHAPE", [n, w.add_constant("shape", np.array([1, 12], np.int32))], [r])
        return r

    model = convert(_graph(tmp_path, build), layers, ConvertOptions(scale_factor=64))
    assert [s.layer_type for s in model.layers] == [
        "Conv2D", "Conv2D", "AveragePool2D", "Add", "Mul", "Sub", "Reshape"]
    assert list(model.layers[0].params) == [0, 0, 3, 2, 2]
    assert list(model.layers[1].params) == [1, 1, 0, 1, 1]
    assert list(model.layers[2].params) == [2, 2, 2, 2]
    assert list(model.layers[3].params) == [1]
    assert len(model.layers[6].inp_idxes) == 1  # the shape tensor is dropped

    # the converted model runs close to the interpreter on the same (exactly scaled) input
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from zkml_core.model import Tensor, execute_float, execute_int

    x_int = np.random.default_rng(3).integers(-64, 64, (1, 4, 4, 2))
    it = Interpreter(model_path=str(tmp_path / "m.tflite"),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], (x_int / 64).astype(np.float32))
    it.invoke()
    want = it.get_tensor(it.get_output_details()[0]["index"]).astype(np.float64)
    inputs = [Tensor(idx=model.inp_idxes[0], shape=x_int.shape, data=x_int.ravel())]
    np.testing.assert_allclose(execute_float(model, layers, inputs).outputs[0], want,
                               atol=1e-5)
    # the weights 1/8 and 1 are exact at sf 64; rounding: conv 0.5/64, then Mul doubles
    # the error of s (|s| <= 7) and adds 0.5/64: within 16/64 = 0.25
    got = execute_int(model, layers, inputs).outputs[0] / 64
    assert np.abs(got - want).max() <= 0.25


@pytest.mark.parametrize("what,build", [
    ("SAME padding", lambda w, x: _op(w, "AVERAGE_POOL_2D", [x], (1, 2, 2, 2), padding="SAME",
                                      filter_height=2, filter_width=2, stride_h=2, stride_w=2)),
    ("dilation", lambda w, x: _op(w, "CONV_2D", [x, w.add_constant(
        "k", np.ones((1, 2, 2, 2), np.float32)), -1], (1, 2, 2, 1), dilation_h_factor=2)),
    ("RELU6", lambda w, x: _op(w, "ADD", [x, x], (1, 4, 4, 2),
                               fused_activation_function="RELU6")),
    ("RELU", lambda w, x: _op(w, "MUL", [x, x], (1, 4, 4, 2), fused_activation_function="RELU")),
])
def test_unsupported_variants(tmp_path, layers, what, build):
    with pytest.raises(UnsupportedError, match=what):
        convert(_graph(tmp_path, build), layers)


def _op(w, name, inputs, out_shape, **opts):
    y = w.add_tensor("y", out_shape)
    w.add_op(name, inputs, [y], **opts)
    return y

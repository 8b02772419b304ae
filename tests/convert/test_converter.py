"""The converter against files made by the original zkml converter and the interpreter.

The layers are the built-in MNIST layer plugins (their from_tflite, forward_int and
forward_float); plugin classes defined here test the dispatch itself.
"""

from __future__ import annotations

import numpy as np
import pytest
import tflite_refs as ref
from mnist_layers import LAYERS

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.tflite_reader import read_tflite
from zkml_core.convert.tflite_writer import Quant, TFLiteWriter
from zkml_core.errors import ModelError, UnsupportedError
from zkml_core.interfaces import Layer
from zkml_core.model import Tensor, execute_float, execute_int, load_input, load_model

MNIST = ConvertOptions(scale_factor=512, k=15, num_cols=7, end_layer=16)


def test_mnist_conversion_equals_the_original_zkml_converter(mnist_tflite):
    want = load_model(mnist_tflite.parent / "model.msgpack")
    got = convert(read_tflite(mnist_tflite), LAYERS, MNIST)
    assert (got.global_sf, got.k, got.num_cols) == (want.global_sf, want.k, want.num_cols)
    assert got.inp_idxes == want.inp_idxes and got.out_idxes == want.out_idxes
    assert got.layers == want.layers
    assert [(t.idx, t.shape) for t in got.tensors] == [(t.idx, t.shape) for t in want.tensors]
    for g, w in zip(got.tensors, want.tensors, strict=True):
        np.testing.assert_array_equal(g.data, w.data, err_msg=f"tensor {g.idx}")


def _logits_37(model_path, x):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_path=str(model_path), experimental_preserve_all_tensors=True,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(0, x.astype(np.float32))
    it.invoke()
    return it.get_tensor(37).astype(np.float64)


def test_converted_mnist_runs_close_to_the_interpreter(mnist_tflite):
    sf = MNIST.scale_factor
    (x_int,) = load_input(mnist_tflite.parent / "inp.msgpack")
    model = convert(read_tflite(mnist_tflite), LAYERS, MNIST)
    want = _logits_37(mnist_tflite, x_int.array() / sf)  # logits up to ~16 in magnitude
    scale = np.abs(want).max()
    # weights rounded to 1/512 through 6 convolutions: measured 0.067 (float run) and 0.081
    # (integer run) here; the bounds below leave 2x room
    flt = execute_float(model, LAYERS, inputs=[x_int]).outputs[0]
    assert np.abs(flt - want).max() < 0.01 * scale
    out = execute_int(model, LAYERS, inputs=[x_int]).outputs[0] / sf
    assert np.abs(out - want).max() < 0.01 * scale
    assert int(np.argmax(out)) == int(np.argmax(want)) == 5


def test_unsupported_ops_are_listed_together(mnist_tflite):
    layers = {"Conv2D": LAYERS["Conv2D"], "Add": LAYERS["Add"]}
    with pytest.raises(UnsupportedError) as info:
        convert(read_tflite(mnist_tflite), layers, MNIST)
    msg = str(info.value)
    assert "#1 AVERAGE_POOL_2D" in msg and "#2 MUL" in msg and "#12 MUL" in msg
    assert "8 operator(s)" not in msg  # ops 16, 17 are outside end_layer
    assert "6 operator(s)" in msg


def test_layers_without_from_tflite_and_unsupported_variants_are_reported(tmp_path):
    w = TFLiteWriter()
    x = w.add_input("x", (1, 4, 4, 1))
    y = w.add_tensor("y", (1, 2, 2, 1))
    w.add_op("AVERAGE_POOL_2D", [x], [y], padding="SAME", filter_height=2, filter_width=2,
             stride_h=2, stride_w=2)
    z = w.add_tensor("z", (1, 2, 2, 1))
    w.add_op("ADD", [y, y], [z])
    t = w.add_tensor("t", (1, 2, 2, 1))
    w.add_op("TANH", [z], [t])
    w.mark_output(t)
    path = tmp_path / "m.tflite"
    w.save(path)
    bare = type("Tanh", (Layer,), {"name": "Tanh", "tflite_ops": ("TANH",)})
    with pytest.raises(UnsupportedError) as info:
        convert(read_tflite(path), {**LAYERS, "Tanh": bare})
    msg = str(info.value)
    assert "2 operator(s) cannot be converted" in msg
    assert "#0 AVERAGE_POOL_2D" in msg and "SAME padding" in msg
    assert "#2 TANH: Tanh has no from_tflite" in msg


def test_a_plugin_can_decline_and_another_takes_the_op(tmp_path):
    class Declines(Layer):
        name = "AAA"
        tflite_ops = ("SUB",)

        @classmethod
        def from_tflite(cls, op, ctx):
            return None

    w = TFLiteWriter()
    x = w.add_input("x", (1, 3))
    c = w.add_constant("c", np.array([[0.5, -1.25, 2.0]], np.float32))
    y = w.add_tensor("y", (1, 3))
    w.add_op("SUB", [x, c], [y])
    w.mark_output(y)
    graph = read_tflite(_save(w, tmp_path))
    model = convert(graph, {**LAYERS, "AAA": Declines}, ConvertOptions(scale_factor=4))
    assert [s.layer_type for s in model.layers] == ["Sub"]
    assert model.inp_idxes == (x,) and model.out_idxes == (y,)
    (t,) = model.tensors
    assert t.idx == c and list(t.data) == [2, -5, 8]  # round(x * 4)


def _save(w: TFLiteWriter, tmp_path) -> str:
    path = tmp_path / "m.tflite"
    w.save(path)
    return str(path)


def test_float_demo_like_model_matches_the_interpreter(tmp_path):
    rng = np.random.default_rng(5)
    w = TFLiteWriter()
    x = w.add_input("x", (1, 6, 6, 2))
    c1 = w.add_tensor("c1", (1, 6, 6, 3))
    w.add_op("CONV_2D", [x, w.add_constant("k", rng.normal(0, 0.5, (3, 3, 3, 2)).astype("f4")),
                         w.add_constant("b", rng.normal(0, 0.5, 3).astype("f4"))], [c1],
             padding="SAME", fused_activation_function="RELU")
    p = w.add_tensor("p", (1, 3, 3, 3))
    w.add_op("AVERAGE_POOL_2D", [c1], [p], filter_height=2, filter_width=2, stride_h=2,
             stride_w=2)
    m = w.add_tensor("m", (1, 3, 3, 3))
    w.add_op("MUL", [p, w.add_constant("s", np.array([0.5, 2.0, -1.0], "f4"))], [m])
    r = w.add_tensor("r", (1, 27))
    w.add_op("RESHAPE", [m, w.add_constant("shape", np.array([1, 27], np.int32))], [r],
             new_shape=[1, 27])
    w.mark_output(r)
    data = w.to_bytes()
    xin = rng.uniform(0, 1, (1, 6, 6, 2)).astype(np.float32)
    (want,) = ref.run_interpreter(data, xin)
    sf = 1024
    model = convert(read_tflite(_save(w, tmp_path)), LAYERS, ConvertOptions(scale_factor=sf))
    assert [s.layer_type for s in model.layers] == ["Conv2D", "AveragePool2D", "Mul",
                                                    "Reshape"]
    inp = Tensor(idx=x, shape=(1, 6, 6, 2), data=np.round(xin * sf).astype(np.int64).ravel())
    got = execute_int(model, LAYERS, inputs=[inp]).outputs[0] / sf
    # each weight and input is off by <= 1/(2 sf); with 18-term sums of values below ~3
    # and the roundings of each layer, the error stays well below 0.05
    assert np.abs(got - want).max() < 0.05


def test_bad_options_are_model_errors(mnist_tflite):
    graph = read_tflite(mnist_tflite)
    with pytest.raises(ModelError, match="scale factor"):
        convert(graph, LAYERS, ConvertOptions(scale_factor=0))
    with pytest.raises(ModelError, match="no operators"):
        convert(graph, LAYERS, ConvertOptions(start_layer=30))


def test_scalar_constants_are_stored_as_1_but_layers_keep_the_tflite_shape(tmp_path):
    # zkml's gpt-2 config has e.g. Mul inp_shapes [[1, 77, 768], []]; its converter
    # stores such scalars with shape [1]
    w = TFLiteWriter()
    x = w.add_input("x", (1, 3))
    c = w.add_constant("c", np.array(0.75, np.float32))
    y = w.add_tensor("y", (1, 3))
    w.add_op("MUL", [x, c], [y])
    w.mark_output(y)
    model = convert(read_tflite(_save(w, tmp_path)), LAYERS, ConvertOptions(scale_factor=8))
    (spec,) = model.layers
    assert spec.inp_shapes == ((1, 3), ())
    (t,) = model.tensors
    assert t.idx == c and t.shape == (1,) and list(t.data) == [6]


def test_dequantized_float16_and_int8_weights_are_folded(tmp_path):
    rng = np.random.default_rng(9)
    k32 = rng.normal(0, 0.5, (2, 3, 3, 1)).astype(np.float32)
    k16 = k32.astype(np.float16)
    s_mul = np.array([1.5, -0.5], np.float32)
    q_mul = Quant([0.0125], [0])
    mul_q = np.round(s_mul / 0.0125).astype(np.int8)
    w = TFLiteWriter()
    x = w.add_input("x", (1, 5, 5, 1))
    kh = w.add_constant("k16", k16)
    kf = w.add_tensor("k", k16.shape)
    w.add_op("DEQUANTIZE", [kh], [kf])
    mq = w.add_constant("mq", mul_q, "int8", q_mul)
    mf = w.add_tensor("m", (2,))
    w.add_op("DEQUANTIZE", [mq], [mf])
    c = w.add_tensor("c", (1, 3, 3, 2))
    w.add_op("CONV_2D", [x, kf, w.add_constant("b", np.zeros(2, np.float32))], [c])
    y = w.add_tensor("y", (1, 3, 3, 2))
    w.add_op("MUL", [c, mf], [y])
    w.mark_output(y)
    data = w.to_bytes()
    xin = rng.uniform(0, 1, (1, 5, 5, 1)).astype(np.float32)
    (want,) = ref.run_interpreter(data, xin)
    sf = 1024
    model = convert(read_tflite(_save(w, tmp_path)), LAYERS, ConvertOptions(scale_factor=sf))
    assert [s.layer_type for s in model.layers] == ["Conv2D", "Mul"]
    stored = {t.idx: t for t in model.tensors}
    np.testing.assert_array_equal(stored[kf].data,
                                  np.round(k16.astype(np.float64) * sf).ravel())
    np.testing.assert_array_equal(stored[mf].data, np.round(mul_q * 0.0125 * sf).ravel())
    inp = Tensor(idx=x, shape=xin.shape, data=np.round(xin * sf).astype(np.int64).ravel())
    got = execute_int(model, LAYERS, inputs=[inp]).outputs[0] / sf
    assert np.abs(got - want).max() < 0.02


def test_whole_mnist_with_softmax_matches_the_interpreter(mnist_tflite):
    from zkml_core.plugins import Registry

    layers = Registry(autoload=True, blocked=()).layers()
    sf = 512
    model = convert(read_tflite(mnist_tflite), layers, ConvertOptions(scale_factor=sf))
    assert [s.layer_type for s in model.layers][-2:] == ["Reshape", "Softmax"]
    assert model.out_idxes == (39,)
    (x_int,) = load_input(mnist_tflite.parent / "inp.msgpack")
    (want,) = ref.run_interpreter(mnist_tflite.read_bytes(), x_int.array() / sf)
    got = execute_int(model, layers, inputs=[x_int]).outputs[0] / sf
    # probabilities (TFLite: 0.99999 for class 5; measured error 6e-7): logits within 0.08
    # (above) move them by far less than 0.01, and softmax rounds to 1/512
    assert np.abs(got - want).max() < 0.01
    assert int(np.argmax(got)) == 5


def test_specs_are_checked_by_their_layer_class_at_convert_time(tmp_path):
    class BadConv(Layer):
        name = "Conv2D"
        tflite_ops = ("CONV_2D",)

        def __init__(self, spec):
            raise ModelError("params must be [5 integers]")

        @classmethod
        def from_tflite(cls, op, ctx):
            return ctx.layer("Conv2D", op, [1, 2])

    class Elsewhere(Layer):
        name = "Elsewhere"
        tflite_ops = ("ADD",)

        @classmethod
        def from_tflite(cls, op, ctx):
            return ctx.layer("NotInstalled", op)

    w = TFLiteWriter()
    x = w.add_input("x", (1, 3, 3, 1))
    y = w.add_tensor("y", (1, 3, 3, 1))
    w.add_op("CONV_2D", [x, w.add_constant("k", np.ones((1, 1, 1, 1), np.float32)),
                         w.add_constant("b", np.zeros(1, np.float32))], [y])
    z = w.add_tensor("z", (1, 3, 3, 1))
    w.add_op("ADD", [y, y], [z])
    w.mark_output(z)
    graph = read_tflite(_save(w, tmp_path))
    with pytest.raises(ModelError, match=r"#0 CONV_2D -> layer Conv2D: params must be"):
        convert(graph, {"Conv2D": BadConv, "Elsewhere": Elsewhere})
    with pytest.raises(UnsupportedError, match=r"#1 ADD -> layer NotInstalled: no installed"):
        convert(graph, {"Conv2D": LAYERS["Conv2D"], "Elsewhere": Elsewhere})


def test_all_graph_outputs_are_exposed(tmp_path):
    w = TFLiteWriter()
    x = w.add_input("x", (1, 4))
    a = w.add_tensor("a", (1, 4))
    w.add_op("ADD", [x, w.add_constant("c", np.ones((1, 4), np.float32))], [a])
    b = w.add_tensor("b", (1, 4))
    w.add_op("MUL", [a, a], [b])
    w.mark_output(a)
    w.mark_output(b)
    model = convert(read_tflite(_save(w, tmp_path)), LAYERS)
    assert model.out_idxes == (a, b)
    # a truncated graph exposes its last layer's outputs, as zkml's converter
    model = convert(read_tflite(_save(w, tmp_path)), LAYERS, ConvertOptions(end_layer=1))
    assert model.out_idxes == (a,)


def test_commit_groups_and_constant_only_graphs(tmp_path):
    w = TFLiteWriter()
    x = w.add_input("x", (1, 3))
    c = w.add_constant("c", np.array([[1.0, 2.0, 3.0]], np.float32))
    y = w.add_tensor("y", (1, 3))
    w.add_op("ADD", [x, c], [y])
    w.mark_output(y)
    model = convert(read_tflite(_save(w, tmp_path)), LAYERS, ConvertOptions(commit=True))
    # zkml's --commit: weights and inputs committed before, outputs after
    assert model.commit_before == [[c], [x]] and model.commit_after == [[y]]
    assert model.extra["commit"] is True

    w = TFLiteWriter()
    h = w.add_constant("h", np.ones(3, np.float16))
    f = w.add_tensor("f", (3,))
    w.add_op("DEQUANTIZE", [h], [f])
    w.mark_output(f)
    with pytest.raises(ModelError, match="only compute constants"):
        convert(read_tflite(_save(w, tmp_path)), LAYERS)


@pytest.mark.parametrize("value, match", [(np.inf, "inf or NaN"), (np.nan, "inf or NaN"),
                                          (-5e6, "stores values >= -2")])
def test_constants_zkml_cannot_hold_are_refused(tmp_path, value, match):
    w = TFLiteWriter()
    x = w.add_input("x", (1, 2))
    c = w.add_constant("c", np.array([[1.0, value]], np.float32))
    y = w.add_tensor("y", (1, 2))
    w.add_op("MUL", [x, c], [y])
    w.mark_output(y)
    # -5e6 * 512 = -2.56e9 < -2^31
    with pytest.raises(ModelError, match=match):
        convert(read_tflite(_save(w, tmp_path)), LAYERS, ConvertOptions(scale_factor=512))


def test_a_crashing_plugin_becomes_a_plugin_error(tmp_path):
    from zkml_core.errors import PluginError

    class Crashes(Layer):
        name = "Crashes"
        tflite_ops = ("RELU",)

        @classmethod
        def from_tflite(cls, op, ctx):
            return ctx.shape(op.inputs[5])

    w = TFLiteWriter()
    x = w.add_input("x", (1, 2))
    y = w.add_tensor("y", (1, 2))
    w.add_op("RELU", [x], [y])
    w.mark_output(y)
    with pytest.raises(PluginError, match=r"Crashes failed on operator #0 RELU \(IndexError"):
        convert(read_tflite(_save(w, tmp_path)), {"Crashes": Crashes})

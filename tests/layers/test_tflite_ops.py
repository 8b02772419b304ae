"""Every layer with a TFLite op: a one-op graph is written, converted through the layer's
``from_tflite`` and run by the executor in both modes, against the reference interpreter.

Inputs are multiples of 1/sf (sf = 1024) so both sides see the same input; constants are
rounded to 1/sf by the conversion, and the integer run rounds each product / division /
table value to 1/sf. Tolerance 0.005 absolute (outputs up to ~11 in magnitude): measured
at most 0.0017 (FullyConnected, integer run: constant rounding summed over 4 terms plus
one 1/2048 rounding), so about 3x room.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.tflite_reader import parse_tflite
from zkml_core.convert.tflite_writer import TFLiteWriter
from zkml_core.model import Tensor, execute_float, execute_int
from zkml_core.plugins import Registry

SF = 1024
TOL = 0.005


@pytest.fixture(scope="module")
def layers():
    import zkml_plugins.layers as pkg

    registry = Registry(autoload=False)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            registry.register(importlib.import_module(f"{pkg.__name__}.{info.name}"))
    return registry.layers()


RNG = np.random.default_rng(7)


def const(w, name, values, dtype=np.float32):
    return w.add_constant(name, np.asarray(values, dtype))


def f32(shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


def unary(op, shape=(2, 5), lo=-2.0, hi=2.0, **opts):
    def build(w, x):
        y = w.add_tensor("y", shape)
        w.add_op(op, [x], [y], **opts)
        return [y]
    return shape, build, (lo, hi)


def binary_const(op, shape, cshape, out_shape=None, **opts):
    def build(w, x):
        c = const(w, "c", f32(cshape, 0.5, 1.5))
        y = w.add_tensor("y", out_shape or shape)
        w.add_op(op, [x, c], [y], **opts)
        return [y]
    return shape, build, (-2.0, 2.0)


def fully_connected(w, x):
    k = const(w, "w", f32((5, 4), -1, 1))
    b = const(w, "b", f32((5,), -1, 1))
    y = w.add_tensor("y", (3, 5))
    w.add_op("FULLY_CONNECTED", [x, k, b], [y], fused_activation_function="RELU")
    return [y]


def batch_matmul(adj_y):
    def build(w, x):
        k = const(w, "k", f32((2, 5, 4) if adj_y else (2, 4, 5), -1, 1))
        y = w.add_tensor("y", (2, 3, 5))
        w.add_op("BATCH_MATMUL", [x, k], [y], adj_y=adj_y)
        return [y]
    return build


def mean(w, x):
    axes = const(w, "axes", [2], np.int32)
    y = w.add_tensor("y", (1, 3, 1))
    w.add_op("MEAN", [x, axes], [y], keep_dims=True)
    return [y]


def pow3(w, x):
    y = w.add_tensor("y", (2, 5))
    w.add_op("POW", [x, const(w, "e", [3.0])], [y])
    return [y]


def masked_softmax(w, x):
    mask = np.where(RNG.uniform(size=(1, 5)) < 0.4, -np.inf, 0).astype(np.float32)
    mask[0, 0] = 0
    m = w.add_tensor("m", (2, 5))
    w.add_op("ADD", [x, const(w, "mask", mask)], [m])
    y = w.add_tensor("y", (2, 5))
    w.add_op("SOFTMAX", [m], [y], beta=1.0)
    return [y]


def pad(w, x):
    y = w.add_tensor("y", (3, 8))
    w.add_op("PAD", [x, const(w, "p", [[0, 1], [2, 1]], np.int32)], [y])
    return [y]


def transpose(w, x):
    y = w.add_tensor("y", (4, 3, 2))
    w.add_op("TRANSPOSE", [x, const(w, "perm", [2, 1, 0], np.int32)], [y])
    return [y]


def concatenation(w, x):
    y = w.add_tensor("y", (2, 8))
    w.add_op("CONCATENATION", [x, const(w, "c", f32((2, 3)))], [y], axis=-1)
    return [y]


def pack(w, x):
    y = w.add_tensor("y", (2, 2, 5))
    w.add_op("PACK", [x, x], [y], axis=1, values_count=2)
    return [y]


def split(w, x):
    ys = [w.add_tensor(f"y{i}", (2, 2)) for i in range(3)]
    w.add_op("SPLIT", [const(w, "axis", [1], np.int32), x], ys, num_splits=3)
    return ys


def slice_(w, x):
    y = w.add_tensor("y", (1, 3))
    w.add_op("SLICE", [x, const(w, "b", [1, 1], np.int32), const(w, "s", [1, -1], np.int32)],
             [y])
    return [y]


def max_pool(w, x):
    y = w.add_tensor("y", (1, 2, 2, 2))
    w.add_op("MAX_POOL_2D", [x], [y], padding="VALID", filter_height=2, filter_width=2,
             stride_h=2, stride_w=2)
    return [y]


def div(w, x):
    y = w.add_tensor("y", (2, 5))
    w.add_op("DIV", [x, const(w, "d", [2.5])], [y])
    return [y]


CASES = {
    "fully_connected": ((1, 3, 4), fully_connected, (-2, 2), ["FullyConnected"]),
    "batch_matmul": ((2, 3, 4), batch_matmul(False), (-2, 2), ["BatchMatMul"]),
    "batch_matmul_adj_y": ((2, 3, 4), batch_matmul(True), (-2, 2), ["BatchMatMul"]),
    "mean": ((1, 3, 4), mean, (-2, 2), ["Mean"]),
    "square": (*unary("SQUARE"), ["Square"]),
    "squared_difference": (*binary_const("SQUARED_DIFFERENCE", (2, 5), (5,)),
                           ["SquaredDifference"]),
    "rsqrt": (*unary("RSQRT", lo=0.25, hi=4.0), ["Rsqrt"]),
    "sqrt": (*unary("SQRT", lo=0.0, hi=4.0), ["Sqrt"]),
    "logistic": (*unary("LOGISTIC", lo=-6, hi=6), ["Logistic"]),
    "tanh": (*unary("TANH", lo=-3, hi=3), ["Tanh"]),
    "pow": ((2, 5), pow3, (-2, 2), ["Pow"]),
    "softmax": (*unary("SOFTMAX", lo=-4, hi=4, beta=1.0), ["Softmax"]),
    "masked_softmax": ((2, 5), masked_softmax, (-4, 4), ["MaskNegInf", "Softmax"]),
    "sub": (*binary_const("SUB", (2, 5), (2, 5)), ["Sub"]),
    "mul": (*binary_const("MUL", (2, 5), (1, 5)), ["Mul"]),
    "div": ((2, 5), div, (-2, 2), ["Mul"]),
    "pad": ((2, 5), pad, (-2, 2), ["Pad"]),
    "transpose": ((2, 3, 4), transpose, (-2, 2), ["Transpose"]),
    "concatenation": ((2, 5), concatenation, (-2, 2), ["Concatenation"]),
    "pack": ((2, 5), pack, (-2, 2), ["Pack"]),
    "split": ((2, 6), split, (-2, 2), ["Split"]),
    "slice": ((2, 4), slice_, (-2, 2), ["Slice"]),
    "max_pool": ((1, 4, 5, 2), max_pool, (-2, 2), ["MaxPool2D"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_matches_the_interpreter(layers, case):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    shape, build, (lo, hi), want_types = CASES[case]
    w = TFLiteWriter()
    x = w.add_input("x", shape)
    outs = build(w, x)
    for y in outs:
        w.mark_output(y)
    data = w.to_bytes()
    model = convert(parse_tflite(data, case), layers, ConvertOptions(scale_factor=SF, k=20))
    assert [s.layer_type for s in model.layers] == want_types
    model.out_idxes = tuple(outs)
    x_int = np.round(RNG.uniform(lo, hi, shape) * SF).astype(np.int64)
    it = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], (x_int / SF).astype(np.float32))
    it.invoke()
    by_index = {d["index"]: d for d in it.get_output_details()}
    inputs = [Tensor(idx=x, shape=shape, data=x_int.ravel())]
    ints = execute_int(model, layers, inputs)
    floats = execute_float(model, layers, inputs)
    for y, got_i, got_f in zip(outs, ints.outputs, floats.outputs, strict=True):
        want = it.get_tensor(by_index[y]["index"]).astype(np.float64)
        assert got_f.shape == want.shape and got_i.shape == want.shape
        assert np.abs(got_f - want).max() <= TOL, f"{case}: float run"
        assert np.abs(got_i / SF - want).max() <= TOL, f"{case}: integer run"


@pytest.mark.parametrize("align,half", [(False, False), (False, True), (True, False)])
@pytest.mark.parametrize("size_in,size_out", [((3, 4), (5, 7)), ((5, 6), (2, 3)),
                                              ((4, 4), (8, 8)), ((1, 3), (2, 1))])
def test_resize_nearest_neighbor(layers, align, half, size_in, size_out):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    shape = (1, *size_in, 2)
    w = TFLiteWriter()
    x = w.add_input("x", shape)
    y = w.add_tensor("y", (1, *size_out, 2))
    w.add_op("RESIZE_NEAREST_NEIGHBOR", [x, const(w, "size", size_out, np.int32)], [y],
             align_corners=align, half_pixel_centers=half)
    w.mark_output(y)
    data = w.to_bytes()
    model = convert(parse_tflite(data, "resize"), layers, ConvertOptions(scale_factor=SF))
    x_int = np.arange(np.prod(shape), dtype=np.int64).reshape(shape)
    it = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], (x_int / SF).astype(np.float32))
    it.invoke()
    want = it.get_tensor(it.get_output_details()[0]["index"]).astype(np.float64)
    inputs = [Tensor(idx=x, shape=shape, data=x_int.ravel())]
    np.testing.assert_array_equal(execute_int(model, layers, inputs).outputs[0] / SF, want)
    np.testing.assert_array_equal(execute_float(model, layers, inputs).outputs[0], want)

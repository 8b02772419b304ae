"""The DAG executor on small hand-made models: plumbing, modes and error messages."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from zkml_core.errors import ModelError
from zkml_core.model import (
    ExecContext,
    LayerSpec,
    Model,
    Tensor,
    UnknownLayerError,
    execute_float,
    execute_int,
)


def spec(layer_type, params, inp, inp_shapes, out, out_shapes):
    return LayerSpec(layer_type=layer_type, params=params, inp_idxes=inp,
                     inp_shapes=inp_shapes, out_idxes=out, out_shapes=out_shapes)


def small_model() -> Model:
    """x(0) [1,2,2,1] * w(1) [1] -> Add b(2) -> Sub x -> Reshape [4]."""
    return Model(
        global_sf=4, k=12, num_cols=6, inp_idxes=[0], out_idxes=[6],
        tensors=[Tensor(idx=1, shape=[1], data=np.array([-3])),
                 Tensor(idx=2, shape=[1], data=np.array([5]))],
        layers=[
            spec("Mul", [], [0, 1], [[1, 2, 2, 1], [1]], [3], [[1, 2, 2, 1]]),
            spec("Add", [0], [3, 2], [[1, 2, 2, 1], [1]], [4], [[1, 2, 2, 1]]),
            spec("Sub", [], [4, 0], [[1, 2, 2, 1], [1, 2, 2, 1]], [5], [[1, 2, 2, 1]]),
            spec("Reshape", [], [5], [[1, 2, 2, 1]], [6], [[4]]),
        ])


X = Tensor(idx=0, shape=[1, 2, 2, 1], data=np.array([1, -2, 6, -7]))


def rhu(a, b):
    return math.floor(Fraction(a, b) + Fraction(1, 2))


def test_int_and_float_runs(layer_classes):
    m = small_model()
    res = execute_int(m, layer_classes, [X])
    want = [rhu(x * -3, 4) + 5 - x for x in (1, -2, 6, -7)]
    assert res.outputs[0].tolist() == want and res.outputs[0].dtype == np.int64
    assert sorted(res.tensors) == [0, 1, 2, 3, 4, 5, 6]
    f = execute_float(m, layer_classes, [X])
    want_f = [(x / 4) * (-3 / 4) + 5 / 4 - x / 4 for x in (1, -2, 6, -7)]
    np.testing.assert_allclose(f.outputs[0], want_f)
    assert np.abs(res.outputs[0] / 4 - f.outputs[0]).max() <= 0.5 / 4


def test_progress_callback(layer_classes):
    seen = []
    execute_int(small_model(), layer_classes, [X],
                progress=lambda i, n, s: seen.append((i, n, s.layer_type)))
    assert seen == [(0, 4, "Mul"), (1, 4, "Add"), (2, 4, "Sub"), (3, 4, "Reshape")]


def test_context_derived_values():
    ctx = ExecContext.from_model(small_model())
    assert (ctx.scale_factor, ctx.k, ctx.num_cols) == (4, 12, 6)
    assert (ctx.min_val, ctx.max_val, ctx.num_rows) == (-2048, 2038, 4087)


def test_missing_input(layer_classes):
    with pytest.raises(ModelError, match="model input tensor 0 has no data; pass an input"):
        execute_int(small_model(), layer_classes)


def test_input_shape_mismatch(layer_classes):
    bad = Tensor(idx=0, shape=[1, 4], data=np.array([1, 2, 3, 4]))
    with pytest.raises(ModelError, match=r"layers\[0\] \(Mul\): input tensor 0 has shape "
                                         r"\[1, 4\] but the layer expects \[1, 2, 2, 1\]"):
        execute_int(small_model(), layer_classes, [bad])


def test_output_shape_mismatch(layer_classes):
    m = small_model()
    m.layers[3] = spec("Reshape", [], [5], [[1, 2, 2, 1]], [6], [[2, 2]])
    m.layers[1] = spec("Add", [0], [3, 2], [[1, 2, 2, 1], [1]], [4], [[1, 2, 2]])
    m.layers[2] = spec("Sub", [], [4, 0], [[1, 2, 2], [1, 2, 2, 1]], [5], [[1, 2, 2, 1]])
    with pytest.raises(ModelError, match=r"layers\[1\] \(Add\): output 0 has shape "
                                         r"\[1, 2, 2, 1\] but the file says"):
        execute_int(m, layer_classes, [X])


def test_unknown_tensor(layer_classes):
    m = small_model()
    m.layers[1] = spec("Add", [0], [3, 9], [[1, 2, 2, 1], [1]], [4], [[1, 2, 2, 1]])
    with pytest.raises(ModelError, match=r"layers\[1\] \(Add\): input tensor 9 is neither"):
        execute_int(m, layer_classes, [X])


def test_output_never_computed(layer_classes):
    m = small_model()
    m.out_idxes = (6, 42)
    with pytest.raises(ModelError, match="output tensor 42"):
        execute_int(m, layer_classes, [X])


def test_bad_layer_params_name_the_layer(layer_classes):
    m = small_model()
    m.layers[1] = spec("Add", [0, 0], [3, 2], [[1, 2, 2, 1], [1]], [4], [[1, 2, 2, 1]])
    with pytest.raises(ModelError, match=r"<model>: layers\[1\] \(Add\): params must be"):
        execute_int(m, layer_classes, [X])


def test_unknown_layer(layer_classes):
    m = small_model()
    m.layers.append(spec("Softmax", [], [6], [[4]], [7], [[4]]))
    with pytest.raises(UnknownLayerError, match=r"'Softmax' \(used by layers\[4\] "
                                                r"\(Softmax\)\).*zkml plugins"):
        execute_int(m, layer_classes, [X])


def test_layer_classes_from_a_plain_dict():
    from zkml_plugins.layers.add import Add
    from zkml_plugins.layers.mul import Mul
    from zkml_plugins.layers.reshape import Reshape
    from zkml_plugins.layers.sub import Sub

    classes = {c.name: c for c in (Add, Mul, Sub, Reshape)}
    assert execute_int(small_model(), classes, [X]).outputs[0].shape == (4,)


def test_dead_layers_are_skipped_and_ignored_inputs_may_be_missing(layer_classes):
    m = small_model()
    # a dead branch (like zkml's Noop/shape chains) whose input 77 does not even exist
    m.layers.insert(1, spec("Sub", [], [77, 0], [[4], [1, 2, 2, 1]], [50], [[1, 2, 2, 1]]))
    # Reshape's second input is TFLite's shape tensor, absent here (an int64 tensor zkml
    # drops): it is not required, so it is passed as None
    m.layers[4] = spec("Reshape", [], [5, 99], [[1, 2, 2, 1], [1]], [6], [[4]])
    res = execute_int(m, layer_classes, [X])
    assert res.skipped == (1,) and 50 not in res.tensors
    assert res.outputs[0].tolist() == [rhu(x * -3, 4) + 5 - x for x in (1, -2, 6, -7)]
    with pytest.raises(ModelError, match=r"layers\[1\] \(Sub\): input tensor 77"):
        execute_int(m, layer_classes, [X], prune=False)


def test_commit_after_tensors_are_live(layer_classes):
    m = small_model()
    m.commit_after = [[3]]
    m.out_idxes = (3,)
    res = execute_int(m, layer_classes, [X])
    assert res.skipped == (1, 2, 3) and sorted(res.tensors) == [0, 1, 2, 3]


def test_scalar_shape_rule(layer_classes):
    # zkml's converter stores a scalar tensor with shape [1]; inp_shapes keep []
    m = small_model()
    m.layers[1] = spec("Add", [0], [3, 2], [[1, 2, 2, 1], []], [4], [[1, 2, 2, 1]])
    assert execute_int(m, layer_classes, [X]).outputs[0].shape == (4,)


def test_config_only_model_is_named(fixtures_dir, layer_classes):
    from zkml_core.model import load_input, load_model

    d = fixtures_dir / "zkml-mnist"
    with pytest.raises(ModelError, match=r"layers\[0\] \(Conv2D\): tensor 7 has a shape but "
                                         r"no data: .*config.msgpack is a config-only file"):
        execute_int(load_model(d / "config.msgpack"), layer_classes, load_input(d / "inp.msgpack"))

"""zkml's large config-only files: they parse, and layers we lack are named clearly."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest

from zkml_core.errors import ModelError, UnsupportedError
from zkml_core.model import (
    Tensor,
    UnknownLayerError,
    build_layers,
    execute_float,
    execute_int,
    load_model,
    unknown_layers,
)

CONFIGS = {
    # name: (sf, k, num_cols, layer count, num_random)
    "twitter": (16384, 25, 10, 81, 20001),
    "gpt-2": (2048, 25, 14, 1093, 60001),
    "clip": (8192, 25, 21, 1150, 20001),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_configs_parse(fixtures_dir, name, layer_classes):
    path = fixtures_dir / "zkml-configs" / f"{name}.config.msgpack"
    raw = msgpack.unpackb(path.read_bytes())
    m = load_model(path)
    sf, k, cols, n_layers, num_random = CONFIGS[name]
    assert (m.global_sf, m.k, m.num_cols, len(m.layers), m.num_random) == (
        sf, k, cols, n_layers, num_random)
    assert m.is_config_only
    assert [s.layer_type for s in m.layers] == [r["layer_type"] for r in raw["layers"]]
    assert [list(s.params) for s in m.layers] == [r["params"] for r in raw["layers"]]
    expected_unknown = [(i, r["layer_type"]) for i, r in enumerate(raw["layers"])
                        if r["layer_type"] not in {"Add", "AveragePool2D", "Conv2D", "Mul",
                                                   "Reshape", "Sub"}]
    assert unknown_layers(m, layer_classes) == expected_unknown
    with pytest.raises(UnknownLayerError) as info:
        build_layers(m, layer_classes)
    msg = str(info.value)
    assert isinstance(info.value, ModelError) and isinstance(info.value, UnsupportedError)
    assert str(path) in msg and "zkml plugins" in msg
    first_i, first_type = expected_unknown[0]
    assert f"layers[{first_i}] ({first_type})" in msg
    for layer_type in {t for _, t in expected_unknown}:
        assert repr(layer_type) in msg


def test_known_layers_of_the_configs_accept_their_params(fixtures_dir, layer_classes):
    # every Add / Sub / Mul / Reshape entry of the three configs builds without error
    count = 0
    for name in CONFIGS:
        m = load_model(fixtures_dir / "zkml-configs" / f"{name}.config.msgpack")
        for spec in m.layers:
            if spec.layer_type in layer_classes:
                layer_classes[spec.layer_type](spec)
                count += 1
    assert count > 500


def random_weights(model, seed=0, amp=0.05):
    """Random data of the right shapes for every tensor no layer produces: weights uniform
    in [-amp, amp] (scalars, such as layer-norm epsilons, in [0.01, amp]), inputs in
    [-1, 1], at the model's scale."""
    rng = np.random.default_rng(seed)
    produced = {i for s in model.layers for i in s.out_idxes}
    shapes = {t.idx: t.shape for t in model.tensors}
    for s in model.layers:
        for i, shape in zip(s.inp_idxes, s.inp_shapes, strict=True):
            if i not in produced:
                shapes.setdefault(i, tuple(shape) or (1,))
    tensors = []
    for idx, shape in sorted(shapes.items()):
        shape = tuple(shape) or (1,)
        n = int(np.prod(shape))
        hi = 1.0 if idx in model.inp_idxes else amp
        lo = -hi if n > 1 or idx in model.inp_idxes else 0.01
        data = np.round(rng.uniform(lo, hi, n) * model.global_sf).astype(np.int64)
        tensors.append(Tensor(idx=idx, shape=shape, data=data))
    model.tensors = tensors
    return model


# (name, run up to the layer this many layers after the first Softmax or None = whole
# model, tolerance on |int / sf - float|). The per-layer bounds are proven in
# tests/layers; through dozens of layers on random weights the errors add up, so these
# tolerances are empirical: measured 4.1e-5 (twitter), 2.4e-4 (gpt-2 prefix) and 4.1e-4
# (clip prefix) with seed 0, with about 10x room.
RUNS = [("twitter", None, 5e-4), ("gpt-2", 10, 3e-3), ("clip", 10, 5e-3)]


@pytest.mark.parametrize("name,after_softmax,tol", RUNS)
def test_configs_run_on_random_weights(fixtures_dir, all_layer_classes, name, after_softmax,
                                       tol):
    model = load_model(fixtures_dir / "zkml-configs" / f"{name}.config.msgpack")
    assert unknown_layers(model, all_layer_classes) == []
    if after_softmax is not None:  # a prefix with the first attention block
        first = next(i for i, s in enumerate(model.layers) if s.layer_type == "Softmax")
        model.out_idxes = model.layers[first + after_softmax].out_idxes
    model = random_weights(model)
    ints = execute_int(model, all_layer_classes)
    floats = execute_float(model, all_layer_classes)
    for a, b in zip(ints.outputs, floats.outputs, strict=True):
        assert a.dtype == np.int64 and a.shape == b.shape
        err = np.abs(a / model.global_sf - b).max()
        assert err <= tol, f"{name}: max |int/sf - float| = {err}"

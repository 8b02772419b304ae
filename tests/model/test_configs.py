"""zkml's large config-only files: they parse, and layers we lack are named clearly."""

from __future__ import annotations

import msgpack
import pytest

from zkml_core.errors import ModelError, UnsupportedError
from zkml_core.model import UnknownLayerError, build_layers, load_model, unknown_layers

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

"""The built-in layers register through their own entry points and hooks."""

from __future__ import annotations

import pytest

from zkml_core.interfaces import Layer

BUILT_IN = {
    "Add": "zkml_plugins.layers.add",
    "AveragePool2D": "zkml_plugins.layers.avg_pool_2d",
    "Conv2D": "zkml_plugins.layers.conv2d",
    "Mul": "zkml_plugins.layers.mul",
    "Reshape": "zkml_plugins.layers.reshape",
    "Sub": "zkml_plugins.layers.sub",
}


def test_entry_points_provide_the_layers(zkml_registry):
    found = {c.name: c for c in zkml_registry.contributions("layer")}
    for name, module in BUILT_IN.items():
        c = found[name]
        assert c.status == "ok" and c.module == module and c.package == "zkml"
        assert issubclass(c.cls, Layer) and c.cls.description and c.cls.tflite_ops


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_mnist_layers_have_circuits_from_installed_gadgets(zkml_registry, make_spec, name):
    """The MNIST slice's layers synthesize (tests/circuits proves them) with gadgets that
    are installed; the not-yet-written ones keep BuiltinLayer's clear error instead."""
    from zkml_plugins.layers._common import BuiltinLayer

    cls = zkml_registry.layers()[name]
    assert cls.synthesize is not BuiltinLayer.synthesize
    specs = {
        "Add": ([0], [(2,), (2,)], [(2,)]), "Sub": ([], [(2,), (2,)], [(2,)]),
        "Mul": ([], [(2,), (2,)], [(2,)]), "Reshape": ([], [(2,)], [(1, 2)]),
        "AveragePool2D": ([1, 1, 1, 1], [(1, 1, 1, 1)], [(1, 1, 1, 1)]),
        "Conv2D": ([0, 1, 0, 1, 1], [(1, 1, 1, 1), (1, 1, 1, 1)], [(1, 1, 1, 1)]),
    }
    params, inp, out = specs[name]
    layer = cls(make_spec(name, params, inp, out))
    assert set(layer.gadgets(None)) <= set(zkml_registry.gadgets())

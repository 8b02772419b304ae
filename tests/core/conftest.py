"""Helpers shared by the core tests: throwaway plugin modules and layer classes."""

from __future__ import annotations

import types

import pytest

from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Layer


def make_layer(name: str) -> type[Layer]:
    return type(f"L_{name}", (Layer,), {"name": name, "description": f"layer {name}"})


def plugin_module(modname: str, **hooks) -> types.ModuleType:
    mod = types.ModuleType(modname)
    for hook_name, value in hooks.items():
        def impl(_value=value):
            if isinstance(_value, Exception):
                raise _value
            return _value
        impl.__name__ = hook_name
        setattr(mod, hook_name, hookimpl(impl))
    return mod


@pytest.fixture(name="make_layer")
def _make_layer_fixture():
    return make_layer


@pytest.fixture(name="plugin_module")
def _plugin_module_fixture():
    return plugin_module

"""Shared fixtures of the model tests: the zkml fixture files and the MNIST layer classes."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from zkml_core.plugins import Registry

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``../shared/fixtures`` next to the repository (zkml's real files), or skip."""
    if not (FIXTURES / "zkml-mnist" / "model.msgpack").is_file():
        pytest.skip(f"zkml fixtures not found at {FIXTURES} (they live in ../shared next to "
                    "the repository); these tests need them")
    return FIXTURES


@pytest.fixture(scope="session")
def layer_classes() -> dict[str, type]:
    """The built-in MNIST layers, registered through their hooks on a fresh registry."""
    from zkml_plugins.layers import add, avg_pool_2d, conv2d, mul, reshape, sub

    registry = Registry(autoload=False)
    for module in (add, avg_pool_2d, conv2d, mul, reshape, sub):
        registry.register(module)
    return registry.layers()


@pytest.fixture(scope="session")
def all_layer_classes() -> dict[str, type]:
    """Every built-in layer module under plugins/layers, registered through its hook."""
    import zkml_plugins.layers as pkg

    registry = Registry(autoload=False)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            registry.register(importlib.import_module(f"{pkg.__name__}.{info.name}"))
    return registry.layers()


@pytest.fixture(scope="session")
def mnist_tflite_tensors(fixtures_dir) -> dict:
    """Every tensor of the fixture's model.tflite run on inp.msgpack by the TFLite
    interpreter (reference kernels), float64 by TFLite tensor index (= the zkml idx)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from zkml_core.model import load_input, load_model

    d = fixtures_dir / "zkml-mnist"
    model = load_model(d / "model.msgpack")
    inputs = load_input(d / "inp.msgpack")
    interp = Interpreter(model_path=str(d / "model.tflite"),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    x = inputs[0].array().astype(np.float64) / model.global_sf
    interp.set_tensor(interp.get_input_details()[0]["index"], x.astype(np.float32))
    interp.invoke()
    produced = [i for s in model.layers for i in s.out_idxes]
    return {i: interp.get_tensor(i).astype(np.float64) for i in produced}

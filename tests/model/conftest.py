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

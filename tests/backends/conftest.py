"""The backend under test: every test here taking ``backend``/``params`` runs on each one.

Add a backend by adding its class path to BACKENDS (e.g. IPA on Pasta)."""

from __future__ import annotations

import importlib

import pytest

BACKENDS = {"kzg": "zkml_plugins.backends.kzg:KZGBackend"}
K = 5


def load_backend(name: str):
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)()


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend(request):
    return load_backend(request.param)


@pytest.fixture(scope="module")
def params(backend):
    return backend.setup(K)

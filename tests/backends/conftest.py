"""The backend under test: every test here taking ``backend``/``params`` runs on each one.

Add a backend by adding its class path to BACKENDS."""

from __future__ import annotations

import importlib

import pytest

BACKENDS = {
    "ipa": "zkml_plugins.backends.ipa:IPABackend",
    "kzg": "zkml_plugins.backends.kzg:KZGBackend",
}
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

"""Shared fixtures of the proving tests: the tiny model, a KZG setup, and bundles made
once per session (copy one before changing it)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from proving_helpers import run, write_model  # noqa: E402

from zkml_core.plugins import Registry  # noqa: E402


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry(autoload=True, blocked=())


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    return write_model(tmp_path_factory.mktemp("tiny"), seed=1)


@pytest.fixture(scope="session")
def kzg_params(tmp_path_factory, registry) -> Path:
    """A KZG setup shared by the KZG bundles, so vks of two models differ only by them."""
    path = tmp_path_factory.mktemp("params") / "kzg8.params"
    code, _, err = run("setup", "--k", "8", "--backend", "kzg", "-o", path, registry=registry)
    assert code == 0, err
    return path


def _prove(tmp_path_factory, registry, files, name: str, *extra) -> Path:
    out = tmp_path_factory.mktemp(name) / "bundle"
    code, _, err = run("prove", *files, "--out", out, *extra, registry=registry)
    assert code == 0, err
    return out


@pytest.fixture(scope="session")
def kzg_bundle(tmp_path_factory, registry, tiny, kzg_params) -> Path:
    return _prove(tmp_path_factory, registry, tiny, "kzg", "--params", kzg_params)


@pytest.fixture(scope="session")
def ipa_bundle(tmp_path_factory, registry, tiny) -> Path:
    return _prove(tmp_path_factory, registry, tiny, "ipa", "--backend", "ipa")


@pytest.fixture(params=["kzg", "ipa"])
def bundle(request) -> Path:
    """Each backend's bundle of the tiny model (session-wide: copy before changing it)."""
    return request.getfixturevalue(f"{request.param}_bundle")


@pytest.fixture
def copy_bundle(tmp_path):
    def copy(src: Path) -> Path:
        dst = tmp_path / "copy"
        shutil.copytree(src, dst)
        return dst

    return copy

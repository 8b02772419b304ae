"""Shared fixtures of the converter tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the tests import the sibling module tflite_refs (pytest runs in importlib mode)
sys.path.insert(0, str(Path(__file__).resolve().parent))

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
MNIST_TFLITE = FIXTURES / "zkml-mnist" / "model.tflite"


@pytest.fixture(name="mnist_tflite")
def _mnist_tflite() -> Path:
    if not MNIST_TFLITE.exists():
        pytest.fail(f"fixture {MNIST_TFLITE} is missing")
    return MNIST_TFLITE

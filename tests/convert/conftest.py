"""Shared helpers of the converter tests: run a model in TFLite's reference interpreter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
MNIST_TFLITE = FIXTURES / "zkml-mnist" / "model.tflite"


def run_interpreter(model: bytes, *inputs: np.ndarray) -> list[np.ndarray]:
    """Outputs of ``model`` on ``inputs`` with TFLite's reference (BUILTIN_REF) kernels."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=model,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                     experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    for detail, value in zip(it.get_input_details(), inputs, strict=True):
        it.set_tensor(detail["index"], np.asarray(value, dtype=detail["dtype"]))
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


@pytest.fixture(name="run_tflite")
def _run_tflite():
    return run_interpreter


@pytest.fixture(name="mnist_tflite")
def _mnist_tflite() -> Path:
    if not MNIST_TFLITE.exists():
        pytest.fail(f"fixture {MNIST_TFLITE} is missing")
    return MNIST_TFLITE

"""Halo2-style Plonkish proof system: constraint system, layouter, keygen, prover, verifier.

Public API (imported lazily, so ``import zkml_core.plonk`` stays cheap)::

    from zkml_core.plonk import ConstraintSystem, keygen_vk, keygen_pk, create_proof, verify_proof
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ConstraintSystem": "zkml_core.plonk.constraint_system",
    "Column": "zkml_core.plonk.constraint_system",
    "Layouter": "zkml_core.plonk.layouter",
    "Region": "zkml_core.plonk.layouter",
    "Cells": "zkml_core.plonk.layouter",
    "Assigned": "zkml_core.plonk.layouter",
    "keygen_vk": "zkml_core.plonk.keygen",
    "keygen_pk": "zkml_core.plonk.keygen",
    "VerifyingKey": "zkml_core.plonk.keys",
    "ProvingKey": "zkml_core.plonk.keys",
    "create_proof": "zkml_core.plonk.prover",
    "verify_proof": "zkml_core.plonk.verifier",
    "instances_to_bytes": "zkml_core.plonk.instances",
    "instances_from_bytes": "zkml_core.plonk.instances",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zkml_core.plonk' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

"""Field objects (the ``PrimeField`` API of docs/arith.md) for the Poseidon tests.

Until the numba engine lands these are the engine-free reference field of the
constraint-system tests (tests/plonk/slow_field.py: Python ints, same representation).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from zkml_plugins.gadgets.poseidon.params import FIELDS


def _slow_field_class():
    path = Path(__file__).resolve().parents[1] / "plonk" / "slow_field.py"
    spec = importlib.util.spec_from_file_location("poseidon_test_slow_field", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.SlowField


SlowField = _slow_field_class()
FIELD_OBJS = {name: SlowField(name, p) for name, p in FIELDS.items()}

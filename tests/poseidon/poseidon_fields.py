"""The engine's field objects for each Poseidon parameter set (docs/arith.md)."""

from __future__ import annotations

from zkml_core.arith.field import BN254_FR, PASTA_FP, PASTA_FQ

FIELD_OBJS = {"bn254": BN254_FR, "pallas": PASTA_FP, "vesta": PASTA_FQ}

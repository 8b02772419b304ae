"""KZG polynomial commitments on BN254 with GWC multi-point opening: the ``kzg`` backend.

- params: a powers-of-tau SRS made locally by :func:`.params.setup` (fresh OS
  randomness, tau discarded) with Lagrange-basis points; file format and load-time
  checks in :mod:`.params`;
- commitments: one engine MSM over the powers (coefficients) or the Lagrange points
  (evaluations on the 2^k domain); KZG commitments are not hiding, so ``blind`` is
  ignored (zero knowledge comes from the circuit's blinding rows);
- multi-point opening: GWC (:mod:`.gwc`), one witness point per opening point and a
  single 2-pairing check (:mod:`.pairing`: our Miller loop and final exponentiation on
  py_ecc's optimized BN254 types, tested equal to py_ecc's pairing).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml_core.arith.curve import BN254_G1
from zkml_core.arith.field import BN254_FR
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Backend

from . import params as _params
from .gwc import open_gwc, verify_gwc


class KZGBackend(Backend):
    """KZG on BN254 (GWC multi-open); see the module docstring."""

    name = "kzg"
    description = "KZG commitments on BN254, GWC multi-point opening, pairing check"
    scalar_field = BN254_FR
    curve = BN254_G1
    trusted_setup = True  # tau: whoever made the params can forge proofs

    def setup(self, k: int) -> _params.KZGParams:
        return _params.setup(k)

    def params_to_bytes(self, params: _params.KZGParams) -> bytes:
        return _params.params_to_bytes(params)

    def params_from_bytes(self, data: bytes) -> _params.KZGParams:
        return _params.params_from_bytes(data)

    def verifier_params(self, params: _params.KZGParams) -> _params.KZGVerifierParams:
        return params.verifier_params()

    def verifier_params_to_bytes(self, vparams: _params.KZGVerifierParams) -> bytes:
        return _params.verifier_params_to_bytes(vparams)

    def verifier_params_from_bytes(self, data: bytes) -> _params.KZGVerifierParams:
        return _params.verifier_params_from_bytes(data)

    def commit(self, params: _params.KZGParams, coeffs: np.ndarray, blind: Any = None) -> np.ndarray:
        m = len(coeffs)
        if m > params.n:
            raise ValueError(f"polynomial of {m} coefficients exceeds the params' 2^{params.k}")
        if m == 0:
            return BN254_G1.from_ints([None])
        return BN254_G1.msm(params.g1_powers[:m], np.ascontiguousarray(coeffs))

    def commit_lagrange(self, params: _params.KZGParams, evals: np.ndarray, blind: Any = None) -> np.ndarray:
        if len(evals) != params.n:
            raise ValueError(f"commit_lagrange needs {params.n} evaluations (2^{params.k}), got {len(evals)}")
        return BN254_G1.msm(params.g1_lagrange, np.ascontiguousarray(evals))

    def open(self, params: _params.KZGParams, transcript: Any, queries: list) -> None:
        open_gwc(lambda c: self.commit(params, c), transcript, queries)

    def verify(self, params: Any, transcript: Any, queries: list) -> bool:
        return verify_gwc(params, transcript, queries)


@hookimpl
def zkml_register_backends():
    return [KZGBackend]

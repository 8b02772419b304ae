"""IPA polynomial commitments on the Pasta curves (transparent setup): the ``ipa`` backend.

- curve and field: commitments are **Vesta** points, so the circuit's scalar field is
  Vesta's scalar field, which is the **Pallas base field Fp** (``PASTA_FP``), the choice
  halo2 makes with its ``EqAffine``; Poseidon and every gadget then run over Fp;
- params: transparent generators G_0..G_{n−1}, H (blinding) and U (inner product) hashed
  to Vesta from a domain-separation string, so ``setup(k)`` is deterministic and anyone
  can regenerate and check them; cached per k in memory and on disk (:mod:`.params`);
- commitments: Pedersen vector commitments ``<coeffs, G> + blind·H``, one engine MSM
  (:func:`.inner_product.commit`). ``commit_lagrange`` iNTTs the evaluations first and
  commits to the coefficients: an iNTT costs a few percent of the MSM it precedes, while
  Lagrange-basis generators would need a group iNTT at setup (n·log n scalar
  multiplications in Python-driven kernels, minutes at k = 16) and twice the memory;
- multi-point opening: halo2's reduction (queries grouped by point set, challenges x1..x4,
  one polynomial opened at one point; :mod:`.multiopen`), then the inner-product argument
  with log2(n) rounds whose verifier recomputes the folded generator with one MSM over
  the s-vector, linear time (:mod:`.inner_product`);
- the verifier needs every generator, so ``verifier_params`` returns the params; their
  bytes name only k (:mod:`.params`), the verifier re-derives the generators.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml_core.arith import poly
from zkml_core.arith.curve import VESTA
from zkml_core.arith.field import PASTA_FP
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Backend

from . import params as _params
from .inner_product import commit as _commit
from .multiopen import open_multi, verify_multi


class IPABackend(Backend):
    """IPA on Vesta (scalar field Pasta Fp), halo2's multi-open; see the module docstring."""

    name = "ipa"
    description = "IPA (Pedersen) commitments on Vesta, transparent setup, halo2 multi-point opening"
    scalar_field = PASTA_FP
    curve = VESTA

    def setup(self, k: int) -> _params.IPAParams:
        return _params.setup(k)

    def params_to_bytes(self, params: _params.IPAParams) -> bytes:
        return _params.params_to_bytes(params)

    def params_from_bytes(self, data: bytes) -> _params.IPAParams:
        return _params.params_from_bytes(data)

    def verifier_params(self, params: _params.IPAParams) -> _params.IPAParams:
        return params

    def verifier_params_to_bytes(self, vparams: _params.IPAParams) -> bytes:
        return _params.verifier_params_to_bytes(vparams)

    def verifier_params_from_bytes(self, data: bytes) -> _params.IPAParams:
        return _params.verifier_params_from_bytes(data)

    def commit(self, params: _params.IPAParams, coeffs: np.ndarray, blind: Any = None) -> np.ndarray:
        return _commit(params, np.ascontiguousarray(coeffs), 0 if blind is None else blind)

    def commit_lagrange(self, params: _params.IPAParams, evals: np.ndarray, blind: Any = None) -> np.ndarray:
        if len(evals) != params.n:
            raise ValueError(f"commit_lagrange needs {params.n} evaluations (2^{params.k}), got {len(evals)}")
        return self.commit(params, poly.intt(PASTA_FP, np.ascontiguousarray(evals)), blind)

    def open(self, params: _params.IPAParams, transcript: Any, queries: list) -> None:
        open_multi(params, transcript, queries)

    def verify(self, params: _params.IPAParams, transcript: Any, queries: list) -> bool:
        return verify_multi(params, transcript, queries)


@hookimpl
def zkml_register_backends():
    return [IPABackend]

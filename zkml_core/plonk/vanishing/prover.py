"""Prover side of the vanishing argument: quotient pieces from the folded constraints."""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml_core.errors import VerificationError


def quotient_pieces(field: Any, domain: Any, folded_ext: np.ndarray, pieces: int, check: bool) -> list[np.ndarray]:
    """h = folded / (X^n − 1) in coefficient form, cut in ``pieces`` slices of n.

    With ``check`` the prover refuses (VerificationError) when h is not of degree below
    pieces·n, i.e. when the witness violates a constraint."""
    h_ext = field.mul(folded_ext, domain.zh_inv_ext())
    h_coef = domain.ext_to_coef(h_ext)
    n = domain.n
    if check and np.any(h_coef[pieces * n :] != 0):
        raise VerificationError(
            "the witness does not satisfy the circuit's constraints (the quotient is not a "
            "polynomial); run zkml_core.dev.MockProver on it to see which gate, lookup or copy fails"
        )
    return [np.ascontiguousarray(h_coef[i * n : (i + 1) * n]) for i in range(pieces)]

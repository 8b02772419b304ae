"""Opening queries: what the Plonkish prover and verifier hand to a backend's multi-open.

Both sides must list their queries in the same order (the backend groups them by point
in order of first appearance, and the grouping shapes the opening proof).
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

#: a commitment as a linear combination of points: ``[(scalar, (1, 2, 4) point), ...]``
Commitment = list[tuple[int, Any]]


@attrs.define(eq=False)
class ProverQuery:
    """Open the polynomial ``coeffs`` (an ``(n, 4)`` coefficient array) at ``point``.

    ``blind`` is the ``(1, 4)`` blinding scalar its commitment was made with (ignored by
    KZG), ``eval`` the value p(point) the prover wrote to the transcript.
    """

    point: int
    coeffs: np.ndarray
    blind: np.ndarray
    eval: int


@attrs.define(eq=False)
class VerifierQuery:
    """The claim ``C(point) == eval`` for the commitment ``C = sum(s * P)`` over
    ``commitment = [(s, P), ...]`` (scalars as ints, points ``(1, 2, 4)`` arrays), so the
    verifier can fold several commitments without a curve operation each."""

    point: int
    commitment: Commitment
    eval: int

"""Commit and multi-point open/verify through the Backend contract (every backend)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from zkml_core.arith import poly
from zkml_core.errors import SerializationError
from zkml_core.plonk.query import ProverQuery, VerifierQuery
from zkml_core.plonk.transcript import ProverTranscript, VerifierTranscript

from .conftest import K

N = 1 << K


def _horner(coeffs: list[int], x: int, p: int) -> int:
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % p
    return acc


class Opening:
    """Random polynomials, their commitments and queries at a list of (poly, point) pairs."""

    def __init__(self, backend, params, npolys: int, pairs: list[tuple[int, int]], seed: int):
        F = backend.scalar_field
        rng = random.Random(seed)
        self.backend, self.params, self.F = backend, params, F
        self.ints = [[rng.randrange(F.p) for _ in range(N)] for _ in range(npolys)]
        self.coeffs = [F.from_ints(c) for c in self.ints]
        self.blinds = [F.from_ints([rng.randrange(F.p)]) for _ in range(npolys)]
        self.comms = [backend.commit(params, c, b) for c, b in zip(self.coeffs, self.blinds, strict=True)]
        self.pairs = pairs
        self.evals = [_horner(self.ints[i], z, F.p) for i, z in pairs]

    def prove(self, prefix: bytes = b"ctx") -> bytes:
        tr = ProverTranscript(self.F, self.backend.curve)
        tr.common_bytes(prefix)
        queries = [ProverQuery(point=z, coeffs=self.coeffs[i], blind=self.blinds[i], eval=e)
                   for (i, z), e in zip(self.pairs, self.evals, strict=True)]
        self.backend.open(self.params, tr, queries)
        return tr.proof_bytes()

    def verify(self, proof: bytes, evals=None, comms=None, prefix: bytes = b"ctx") -> bool:
        evals = self.evals if evals is None else evals
        comms = self.comms if comms is None else comms
        tr = VerifierTranscript(self.F, self.backend.curve, proof)
        tr.common_bytes(prefix)
        queries = [VerifierQuery(point=z, commitment=[(1, comms[i])], eval=e)
                   for (i, z), e in zip(self.pairs, evals, strict=True)]
        ok = self.backend.verify(self.backend.verifier_params(self.params), tr, queries)
        tr.finish()
        return ok


def _pairs(F, shape: str) -> list[tuple[int, int]]:
    rng = random.Random(shape)
    x = rng.randrange(F.p)
    w = F.root_of_unity(K)
    if shape == "one poly, one point":
        return [(0, x)]
    if shape == "several polys, one point":
        return [(0, x), (1, x), (2, x)]
    # rotations of x as the Plonkish verifier asks: several points, polys shared between them
    return [(0, x), (1, x), (0, x * w % F.p), (2, x * w % F.p), (1, x * pow(w, -1, F.p) % F.p),
            (2, rng.randrange(F.p)), (0, 0)]


@pytest.mark.parametrize("shape", ["one poly, one point", "several polys, one point", "several points"])
def test_honest_opening_verifies(backend, params, shape):
    o = Opening(backend, params, 3, _pairs(backend.scalar_field, shape), seed=1)
    assert o.verify(o.prove())


def test_commitments_are_additive_and_lagrange_form_agrees(backend, params):
    F, C = backend.scalar_field, backend.curve
    o = Opening(backend, params, 2, [], seed=2)
    zero = F.zeros(1)
    s = F.add(o.coeffs[0], o.coeffs[1])
    both = backend.commit(params, s, zero)
    if backend.name == "kzg":  # KZG commitments are not blinded
        assert C.to_ints(both) == C.to_ints(C.add(o.comms[0], o.comms[1]))
    assert C.to_ints(backend.commit_lagrange(params, poly.ntt(F, s), zero)) == C.to_ints(both)


def test_wrong_evaluation_is_rejected(backend, params):
    o = Opening(backend, params, 3, _pairs(backend.scalar_field, "several points"), seed=3)
    proof = o.prove()
    for j in (0, 3, 6):
        evals = list(o.evals)
        evals[j] = (evals[j] + 1) % backend.scalar_field.p
        assert not o.verify(proof, evals=evals)


def test_wrong_commitment_is_rejected(backend, params):
    o = Opening(backend, params, 3, _pairs(backend.scalar_field, "several points"), seed=4)
    proof = o.prove()
    assert not o.verify(proof, comms=[o.comms[1], o.comms[0], o.comms[2]])
    other = backend.commit(params, backend.scalar_field.random(N), backend.scalar_field.zeros(1))
    assert not o.verify(proof, comms=[o.comms[0], o.comms[1], other])


def test_opening_is_bound_to_the_transcript_so_far(backend, params):
    o = Opening(backend, params, 2, _pairs(backend.scalar_field, "several polys, one point")[:2], seed=5)
    assert not o.verify(o.prove(b"ctx"), prefix=b"other")


def test_flipped_byte_in_the_opening_proof_is_rejected(backend, params):
    o = Opening(backend, params, 3, _pairs(backend.scalar_field, "several points"), seed=6)
    proof = o.prove()
    rng = random.Random(7)
    # one position in each 32-byte element, plus the first and last byte
    positions = {0, len(proof) - 1} | {i + rng.randrange(32) for i in range(0, len(proof), 32)}
    for pos in sorted(positions):
        bad = bytearray(proof)
        bad[pos] ^= 1 << rng.randrange(8)
        try:
            assert not o.verify(bytes(bad)), f"flip at byte {pos} verified"
        except SerializationError:
            pass
    with pytest.raises(SerializationError):
        o.verify(proof[:-1])
    with pytest.raises(SerializationError):
        o.verify(proof + b"\0")


def test_folded_commitment_opens_the_folded_polynomial(backend, params):
    """A VerifierQuery commitment may be a linear combination, as for quotient pieces."""
    F, p = backend.scalar_field, backend.scalar_field.p
    o = Opening(backend, params, 2, [], seed=8)
    a, b = 5, p - 3
    folded_ints = [(a * x + b * y) % p for x, y in zip(o.ints[0], o.ints[1], strict=True)]
    folded = F.from_ints(folded_ints)
    blind = F.add(F.mul(o.blinds[0], F.full(1, a)), F.mul(o.blinds[1], F.full(1, b)))
    z = 123456789
    e = _horner(folded_ints, z, p)
    tr = ProverTranscript(F, backend.curve)
    backend.open(params, tr, [ProverQuery(point=z, coeffs=folded, blind=blind, eval=e)])
    proof = tr.proof_bytes()
    for ev, ok in ((e, True), ((e + 1) % p, False)):
        vt = VerifierTranscript(F, backend.curve, proof)
        q = VerifierQuery(point=z, commitment=[(a, o.comms[0]), (b, o.comms[1])], eval=ev)
        assert backend.verify(params, vt, [q]) is ok
        vt.finish()


def test_commit_rejects_oversized_polynomials(backend, params):
    F = backend.scalar_field
    with pytest.raises(ValueError):
        backend.commit(params, F.zeros(2 * N), F.zeros(1))
    with pytest.raises(ValueError):
        backend.commit_lagrange(params, F.zeros(N // 2), F.zeros(1))
    assert np.asarray(backend.commit(params, F.zeros(N), F.zeros(1))).shape == (1, 2, 4)


def test_zero_and_short_polynomials_open(backend, params):
    """A zero polynomial (KZG: the point at infinity) and one shorter than 2^k open too."""
    F, p = backend.scalar_field, backend.scalar_field.p
    rng = random.Random(9)
    short = [rng.randrange(p) for _ in range(N // 4)]
    polys = [F.zeros(N), F.from_ints(short)]
    blinds = [F.from_ints([rng.randrange(p)]) for _ in polys]
    comms = [backend.commit(params, c, b) for c, b in zip(polys, blinds, strict=True)]
    z = rng.randrange(p)
    evals = [0, _horner(short, z, p)]
    tr = ProverTranscript(F, backend.curve)
    backend.open(params, tr, [ProverQuery(point=z, coeffs=c, blind=b, eval=e)
                              for c, b, e in zip(polys, blinds, evals, strict=True)])
    for ev, ok in ((evals, True), ([1, evals[1]], False)):
        vt = VerifierTranscript(F, backend.curve, tr.proof_bytes())
        queries = [VerifierQuery(point=z, commitment=[(1, c)], eval=e) for c, e in zip(comms, ev, strict=True)]
        assert backend.verify(params, vt, queries) is ok
        vt.finish()

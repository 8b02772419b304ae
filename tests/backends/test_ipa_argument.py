"""IPA internals: Pedersen commitments against Python-int curve arithmetic, the folded
generator and folded powers against a direct fold, the bare inner-product argument, the
multi-open grouping and the proof layout."""

from __future__ import annotations

import random

import numpy as np
import pytest
from zkml_plugins.backends.ipa import IPABackend
from zkml_plugins.backends.ipa import inner_product as ipa

from zkml_core.arith import poly
from zkml_core.arith.curve import VESTA
from zkml_core.arith.field import PASTA_FP
from zkml_core.errors import SerializationError
from zkml_core.plonk.query import ProverQuery, VerifierQuery
from zkml_core.plonk.transcript import ProverTranscript, VerifierTranscript

from ..arith.test_curve import RefCurve

P = PASTA_FP.p
Q = VESTA.base_field.p
K = 3
N = 1 << K


@pytest.fixture(scope="module")
def params():
    return IPABackend().setup(K)


def _horner(coeffs: list[int], x: int) -> int:
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % P
    return acc


def test_pedersen_commitment_matches_python_int_curve_arithmetic(params):
    ref = RefCurve(Q, 5)
    rng = random.Random(1)
    coeffs = [rng.randrange(P) for _ in range(N - 2)]
    blind = rng.randrange(P)
    g = VESTA.to_ints(params.g)
    want = ref.mul(VESTA.to_ints(params.h)[0], blind)
    for c, gi in zip(coeffs, g, strict=False):
        want = ref.add(want, ref.mul(gi, c))
    got = IPABackend().commit(params, PASTA_FP.from_ints(coeffs), PASTA_FP.from_ints([blind]))
    assert VESTA.to_ints(got) == [want]
    # commit_lagrange takes the evaluations on the 2^k domain
    w = PASTA_FP.root_of_unity(K)
    evals = [_horner(coeffs, pow(w, i, P)) for i in range(N)]
    got = IPABackend().commit_lagrange(params, PASTA_FP.from_ints(evals), PASTA_FP.from_ints([blind]))
    assert VESTA.to_ints(got) == [want]


def test_folded_generator_and_powers_match_a_direct_fold():
    rng = random.Random(2)
    us = [rng.randrange(1, P) for _ in range(K)]
    x = rng.randrange(P)
    # fold index weights and powers of x exactly as the prover folds G and b
    weights = [[1 if i == j else 0 for j in range(N)] for i in range(N)]  # G_i as unit vectors
    b = [pow(x, i, P) for i in range(N)]
    for u in us:
        half = len(b) // 2
        weights = [[(lo + u * hi) % P for lo, hi in zip(weights[i], weights[i + half], strict=True)]
                   for i in range(half)]
        b = [(b[i] + u * b[i + half]) % P for i in range(half)]
    assert PASTA_FP.to_ints(ipa.fold_scalars(us)) == weights[0]
    assert ipa.fold_b(x, us) == b[0]


def _bare_proof(params, coeffs, blind, x):
    tr = ProverTranscript(PASTA_FP, VESTA)
    ipa.create_proof(params, tr, PASTA_FP.from_ints(coeffs), blind, x)
    return tr.proof_bytes()


def _bare_verify(params, proof, comm, x, v):
    vt = VerifierTranscript(PASTA_FP, VESTA, proof)
    ok = ipa.verify_proof(params, vt, [(1, comm)], x, v)
    vt.finish()
    return ok


def test_bare_inner_product_argument(params):
    rng = random.Random(3)
    coeffs = [rng.randrange(P) for _ in range(N)]
    blind, x = rng.randrange(P), rng.randrange(P)
    comm = ipa.commit(params, PASTA_FP.from_ints(coeffs), blind)
    proof = _bare_proof(params, coeffs, blind, x)
    # S, then L_j and R_j for each of the k rounds, then c and f
    assert len(proof) == 32 * (1 + 2 * K + 2)
    v = _horner(coeffs, x)
    assert _bare_verify(params, proof, comm, x, v)
    assert not _bare_verify(params, proof, comm, x, (v + 1) % P)
    assert not _bare_verify(params, proof, comm, (x + 1) % P, v)
    assert not _bare_verify(params, proof, ipa.commit(params, PASTA_FP.from_ints(coeffs), blind + 1), x, v)
    # another polynomial with the same value at x: the proof is bound to the commitment
    other = list(coeffs)
    other[1] = (other[1] + 1) % P
    other[0] = (other[0] - x) % P
    assert _horner(other, x) == v
    assert not _bare_verify(params, proof, ipa.commit(params, PASTA_FP.from_ints(other), blind), x, v)


def test_off_curve_point_in_a_proof_is_a_serialization_error(params):
    rng = random.Random(4)
    coeffs = [rng.randrange(P) for _ in range(N)]
    proof = _bare_proof(params, coeffs, 0, 5)
    x = next(x for x in range(1, 100) if pow((x ** 3 + 5) % Q, (Q - 1) // 2, Q) == Q - 1)
    for offset in (0, 32 * 3):  # S and L_1
        bad = proof[:offset] + x.to_bytes(32, "little") + proof[offset + 32 :]
        with pytest.raises(SerializationError, match="not on the curve"):
            _bare_verify(params, bad, ipa.commit(params, PASTA_FP.from_ints(coeffs), 0), 5, _horner(coeffs, 5))


def _claims(params, pairs, values=None, seed=5):
    rng = random.Random(seed)
    ints = [[rng.randrange(P) for _ in range(N)] for _ in range(1 + max(i for i, _ in pairs))]
    blinds = [rng.randrange(P) for _ in ints]
    comms = [ipa.commit(params, PASTA_FP.from_ints(c), b) for c, b in zip(ints, blinds, strict=True)]
    evals = values or [_horner(ints[i], z) for i, z in pairs]
    return ints, blinds, comms, evals


def test_point_sets_of_several_points_verify_and_layout(params):
    # poly 0 at {a, b, c}, poly 1 at {a, b, c} (same set), poly 2 at {b, a}, poly 3 at {c}
    a, b, c = 11, 22, 33
    pairs = [(0, a), (1, a), (0, b), (2, b), (1, b), (0, c), (1, c), (2, a), (3, c)]
    ints, blinds, comms, evals = _claims(params, pairs)
    tr = ProverTranscript(PASTA_FP, VESTA)
    IPABackend().open(params, tr, [ProverQuery(z, PASTA_FP.from_ints(ints[i]), PASTA_FP.from_ints([blinds[i]]), e)
                                   for (i, z), e in zip(pairs, evals, strict=True)])
    proof = tr.proof_bytes()
    # Q', one u per point set ({a,b,c}, {b,a}, {c}), then the IPA
    assert len(proof) == 32 * (1 + 3 + 1 + 2 * K + 2)

    def verify(ev, cm=comms):
        vt = VerifierTranscript(PASTA_FP, VESTA, proof)
        ok = IPABackend().verify(params, vt, [VerifierQuery(z, [(1, cm[i])], e)
                                              for (i, z), e in zip(pairs, ev, strict=True)])
        vt.finish()
        return ok

    assert verify(evals)
    for j in range(len(pairs)):
        wrong = list(evals)
        wrong[j] = (wrong[j] + 1) % P
        assert not verify(wrong)
    assert not verify(evals, [comms[0], comms[2], comms[1], comms[3]])


def test_duplicate_claims(params):
    pairs = [(0, 7), (0, 7), (1, 7)]
    ints, blinds, comms, evals = _claims(params, pairs, seed=6)
    queries = [ProverQuery(z, PASTA_FP.from_ints(ints[i]), PASTA_FP.from_ints([blinds[i]]), e)
               for (i, z), e in zip(pairs, evals, strict=True)]
    tr = ProverTranscript(PASTA_FP, VESTA)
    IPABackend().open(params, tr, queries)
    proof = tr.proof_bytes()

    def verify(ev):
        vt = VerifierTranscript(PASTA_FP, VESTA, proof)
        return IPABackend().verify(params, vt, [VerifierQuery(z, [(1, comms[i])], e)
                                                for (i, z), e in zip(pairs, ev, strict=True)])

    assert verify(evals)
    assert not verify([evals[0], (evals[1] + 1) % P, evals[2]])  # one poly, two values at 7
    queries[1].eval += 1
    with pytest.raises(ValueError):
        IPABackend().open(params, ProverTranscript(PASTA_FP, VESTA), queries)


def test_no_queries_is_an_empty_proof(params):
    tr = ProverTranscript(PASTA_FP, VESTA)
    IPABackend().open(params, tr, [])
    assert tr.proof_bytes() == b""
    assert IPABackend().verify(params, VerifierTranscript(PASTA_FP, VESTA, b""), [])


def test_polynomials_shorter_than_n_and_zero_polynomials(params):
    F = PASTA_FP
    short = F.from_ints([3, 4, 5])
    zero = F.zeros(N)
    qs = [ProverQuery(9, short, F.zeros(1), _horner([3, 4, 5], 9)), ProverQuery(9, zero, F.zeros(1), 0)]
    tr = ProverTranscript(F, VESTA)
    IPABackend().open(params, tr, qs)
    comms = [IPABackend().commit(params, short, F.zeros(1)), IPABackend().commit(params, zero, F.zeros(1))]
    assert np.all(comms[1] == 0)  # the identity, encoded as zeros
    vt = VerifierTranscript(F, VESTA, tr.proof_bytes())
    assert IPABackend().verify(params, vt, [VerifierQuery(q.point, [(1, c)], q.eval) for q, c in zip(qs, comms, strict=True)])
    assert poly.evaluate(F, short, 9) == qs[0].eval

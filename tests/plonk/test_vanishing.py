"""The quotient on the extended coset, and the verifier's recomputation at a point.

No commitments: the argument polynomials of an honest witness (numba engine, BN254 Fr)
go through the prover's extended-domain evaluation; the quotient must have degree below
(pieces · n), and at a random x the verifier-side constraint fold (Python ints from the
opened values) must equal h(x)·(x^n − 1). A witness breaking one gate is refused.
"""

from __future__ import annotations

import secrets

import numpy as np
import pytest

from zkml_core.arith import poly
from zkml_core.arith.field import BN254_FR as F
from zkml_core.dev.mock import MockProver
from zkml_core.errors import VerificationError
from zkml_core.plonk.domain import Domain
from zkml_core.plonk.evaluation import ArrayContext, IntAlgebra, PointContext
from zkml_core.plonk.lookup import prover as lookup_prover
from zkml_core.plonk.permutation import prover as permutation_prover
from zkml_core.plonk.permutation.argument import build_sigma, delta
from zkml_core.plonk.protocol import all_constraints, committed_keys, instance_plan, opening_plan
from zkml_core.plonk.vanishing.argument import fold
from zkml_core.plonk.vanishing.prover import quotient_pieces

from .circuits import FeatureCircuit

K = 6


def argument_polys(circuit, min_degree=None):
    mock = MockProver(circuit, circuit.instances(), k=K, field=F)
    cs, asg = mock.cs, mock.asg
    if min_degree:
        cs.set_minimum_degree(min_degree)
    n, u = asg.n, asg.usable
    dom = Domain(F, K, cs.extended_k_extra())
    lag = {c.key: asg.column_values(c) for c in asg.columns}
    sigma = build_sigma(F, cs, asg, dom.omega_powers)
    ch = {k: secrets.randbelow(F.p) for k in ("theta", "beta_lookup", "beta", "gamma", "y")}
    ctx = ArrayContext(F, lag.__getitem__, 1, mock.challenges)
    zs = permutation_prover.grand_products(F, cs, [lag[c.key] for c in cs.equality], sigma, dom.omega_powers, ch["beta"], ch["gamma"], u)
    m = lookup_prover.multiplicity_columns(F, cs, ctx, u, n)
    helpers, sums = lookup_prover.helpers_and_sums(F, cs, ctx, m, ch["theta"], ch["beta_lookup"], u, n)
    polys = dict(lag)
    polys.update({("sigma", j): s for j, s in enumerate(sigma)})
    keys = committed_keys(cs)
    polys.update(dict(zip(keys["z"], zs, strict=True)))
    polys.update(dict(zip(keys["m"], m, strict=True)))
    polys.update(dict(zip(keys["lookup"], [p for hs, phi in zip(helpers, sums, strict=True) for p in hs + [phi]], strict=True)))
    coef = {key: dom.lag_to_coef(v) for key, v in polys.items()}
    return mock, cs, dom, u, ch, coef


def quotient(cs, dom, u, ch, coef, challenges, check=True):
    ext = {key: dom.coef_to_ext(c) for key, c in coef.items()}
    ctx = ArrayContext(F, ext.__getitem__, 1 << dom.extra, challenges, delta=delta(F), p=F.p, **dom.row_polys_ext(u))
    folded = fold(ctx.alg, all_constraints(ctx, cs, ch), ch["y"])
    return quotient_pieces(F, dom, folded, cs.quotient_pieces(), check)


@pytest.mark.parametrize("min_degree", [None, 6])
def test_quotient_matches_the_verifier_fold(min_degree):
    mock, cs, dom, u, ch, coef = argument_polys(FeatureCircuit(), min_degree)
    pieces = quotient(cs, dom, u, ch, coef, mock.challenges)
    assert len(pieces) == cs.degree() - 1
    x = secrets.randbelow(F.p)
    evals = {}
    for key, rot in opening_plan(cs) + instance_plan(cs):
        if key == ("random",):
            continue
        evals[(key, rot)] = poly.evaluate(F, coef[key], dom.rotate(x, rot))
    ctx = PointContext(F.p, evals, mock.challenges, delta=delta(F), p=F.p, **dom.row_values_at(x, u))
    folded_x = fold(IntAlgebra(F.p), all_constraints(ctx, cs, ch), ch["y"])
    xn = pow(x, dom.n, F.p)
    h_x = sum(poly.evaluate(F, piece, x) * pow(xn, i, F.p) for i, piece in enumerate(pieces)) % F.p
    assert folded_x == h_x * (xn - 1) % F.p
    # the instance evaluation the verifier computes from public values
    inst = FeatureCircuit().instances()[0]
    assert dom.evaluate_lagrange_values(inst, x) == poly.evaluate(F, coef[("instance", 0)], x)


def test_violated_gate_is_refused():
    mock, cs, dom, u, ch, coef = argument_polys(FeatureCircuit(tamper="advice"))
    with pytest.raises(VerificationError, match="MockProver"):
        quotient(cs, dom, u, ch, coef, mock.challenges)
    pieces = quotient(cs, dom, u, ch, coef, mock.challenges, check=False)
    assert len(pieces) == cs.degree() - 1 and not all(np.all(p == 0) for p in pieces)


def test_instance_evaluation_from_public_values():
    dom = Domain(F, 6, 1)
    vals = [secrets.randbelow(F.p) for _ in range(40)] + [-3, 0, 7]
    x = secrets.randbelow(F.p)
    coef = dom.lag_to_coef(F.from_ints(vals + [0] * (64 - len(vals))))
    assert dom.evaluate_lagrange_values([v % F.p for v in vals], x) == poly.evaluate(F, coef, x)


@pytest.mark.parametrize("extra", [1, 2, 3])
def test_coset_parts_are_the_extended_coset_interleaved(extra):
    """Part j of the extended coset (what the prover evaluates constraints on) holds the
    positions j, j + 2^e, ... of the whole coset; checked against direct evaluation of
    the polynomial at those points (Python ints) and against the N-point coset NTT."""
    dom = Domain(F, 5, extra)
    p, n, E = F.p, dom.n, dom.parts
    coeffs = [secrets.randbelow(p) for _ in range(n)]
    coef = F.from_ints(coeffs)
    ext = dom.coef_to_ext(coef)
    wN = F.root_of_unity(dom.ext_k)
    rows = dom.row_coefs(usable=n - 4)
    whole = dom.row_polys_ext(n - 4)
    for j in range(E):
        part = dom.coef_to_part(coef, j)
        assert np.array_equal(part, ext[j::E])
        for i in (0, 1, n - 1):
            pt = dom.shift * pow(wN, j + E * i, p) % p
            assert F.to_ints(part[i : i + 1])[0] == sum(c * pow(pt, t, p) for t, c in enumerate(coeffs)) % p
        got = dom.row_polys_part(j, rows)
        for name in ("l0", "l_last", "l_active", "X"):
            assert np.array_equal(got[name], whole[name][j::E]), name

"""The argument polynomials' identities, checked on the 2^k rows (no commitments).

Built from a MockProver assignment of the feature circuit (random blinding rows
included): the permutation σ against the copy classes computed independently in Python,
grand products ending at 1, LogUp running sums returning to 0, and every constraint of
the protocol vanishing on every row for an honest witness.
"""

from __future__ import annotations

import secrets

import numpy as np

from zkml_core.dev.mock import MockProver
from zkml_core.plonk.evaluation import ArrayContext
from zkml_core.plonk.lookup import prover as lookup_prover
from zkml_core.plonk.permutation import prover as permutation_prover
from zkml_core.plonk.permutation.argument import build_sigma, chunks, delta
from zkml_core.plonk.protocol import all_constraints, committed_keys, last_rotation

from .circuits import FIB_LEN, FeatureCircuit, fibonacci
from .slow_field import SLOW_FR as F

K = 6


def setup(circuit, instances=None, min_degree=None):
    mock = MockProver(circuit, instances if instances is not None else circuit.instances(), k=K, field=F)
    cs, asg = mock.cs, mock.asg
    if min_degree:
        cs.set_minimum_degree(min_degree)
    n, u = asg.n, asg.usable
    omega = F.root_of_unity(K)
    wp = F.powers(omega, n)
    lag = {c.key: asg.column_values(c) for c in asg.columns}
    return mock, cs, asg, n, u, wp, lag


def run_arguments(circuit, instances=None, min_degree=None):
    mock, cs, asg, n, u, wp, lag = setup(circuit, instances, min_degree)
    sigma = build_sigma(F, cs, asg, wp)
    ch = {k: secrets.randbelow(F.p) for k in ("theta", "beta_lookup", "beta", "gamma")}
    ctx = ArrayContext(F, lag.__getitem__, 1, mock.challenges)
    zs = permutation_prover.grand_products(F, cs, [lag[c.key] for c in cs.equality], sigma, wp, ch["beta"], ch["gamma"], u)
    m = lookup_prover.multiplicity_columns(F, cs, ctx, u, n)
    helpers, sums = lookup_prover.helpers_and_sums(F, cs, ctx, m, ch["theta"], ch["beta_lookup"], u, n)
    polys = dict(lag)
    polys.update({("sigma", j): s for j, s in enumerate(sigma)})
    keys = committed_keys(cs)
    polys.update(dict(zip(keys["z"], zs, strict=True)))
    polys.update(dict(zip(keys["m"], m, strict=True)))
    polys.update(dict(zip(keys["lookup"], [p for hs, phi in zip(helpers, sums, strict=True) for p in hs + [phi]], strict=True)))
    one = F.ones(1)[0]
    l0, l_last, l_active = F.zeros(n), F.zeros(n), F.zeros(n)
    l0[0], l_last[u] = one, one
    l_active[:u] = one
    full = ArrayContext(F, polys.__getitem__, 1, mock.challenges, l0=l0, l_last=l_last, l_active=l_active, X=wp, delta=delta(F), p=F.p)
    return dict(cs=cs, asg=asg, u=u, n=n, wp=wp, sigma=sigma, zs=zs, m=m, sums=sums, ctx=full, ch=ch)


def test_sigma_cycles_are_the_copy_classes():
    r = run_arguments(FeatureCircuit())
    cs, asg, n, wp = r["cs"], r["asg"], r["n"], r["wp"]
    d = delta(F)
    name = {}
    w = F.to_ints(wp)
    for j in range(len(cs.equality)):
        dj = pow(d, j, F.p)
        for i in range(n):
            name[dj * w[i] % F.p] = (j, i)
    succ = {}
    for j, s in enumerate(r["sigma"]):
        for i, v in enumerate(F.to_ints(s)):
            succ[(j, i)] = name[v]
    assert sorted(succ.values()) == sorted(succ)  # a permutation of the cells
    # classes by union-find in plain Python over the recorded copies
    eq = {c: j for j, c in enumerate(cs.equality)}
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for ga, ra, gb, rb in asg.copies:
        for a1, a2, b1, b2 in zip(ga.tolist(), ra.tolist(), gb.tolist(), rb.tolist(), strict=True):
            ca, cb = (eq[asg.column_of(a1)], a2), (eq[asg.column_of(b1)], b2)
            parent[find(ca)] = find(cb)
    for cell in succ:
        cyc, c = [cell], succ[cell]
        while c != cell:
            cyc.append(c)
            c = succ[c]
        assert {find(x) for x in cyc} == {find(cell)}
        assert len(cyc) == sum(1 for x in succ if find(x) == find(cell))


def test_grand_products_and_running_sums_close():
    r = run_arguments(FeatureCircuit())
    u = r["u"]
    assert F.to_ints(r["zs"][0][:1]) == [1]
    assert F.to_ints(r["zs"][-1][u : u + 1]) == [1]
    for phi in r["sums"]:
        assert F.to_ints(phi[:1]) == [0] and F.to_ints(phi[u : u + 1]) == [0]
    # every usable row is looked up once per lookup: 1 input tuple per row
    lookups_per_group = [len(g.lookups) for g in r["cs"].lookup_groups()]
    assert [sum(F.to_ints(m[:u])) for m in r["m"]] == [u * k for k in lookups_per_group]


def test_every_constraint_vanishes_on_every_row():
    r = run_arguments(FeatureCircuit())
    cons = list(all_constraints(r["ctx"], r["cs"], r["ch"]))
    assert len(cons) > 10
    for c in cons:
        assert not np.any(c != 0)


def test_chunked_permutation_and_batched_helpers():
    # degree 4: permutation chunks of 2 columns (4 equality columns -> 2 chunks);
    # degree 6: the two degree-2 range-table inputs share one helper (2 + 2 + 2 <= 6)
    r = run_arguments(FeatureCircuit(), min_degree=4)
    assert len(chunks(r["cs"])) == 2
    assert last_rotation(r["cs"]) == -(r["cs"].blinding_factors() + 1)
    for c in all_constraints(r["ctx"], r["cs"], r["ch"]):
        assert not np.any(c != 0)
    r = run_arguments(FeatureCircuit(), min_degree=6)
    assert any(len(b) > 1 for g in r["cs"].lookup_groups() for b in g.batches)
    for c in all_constraints(r["ctx"], r["cs"], r["ch"]):
        assert not np.any(c != 0)


def test_broken_copy_breaks_the_grand_product():
    r = run_arguments(FeatureCircuit(tamper="copy"), [[(fibonacci(FIB_LEN)[-1] + 1) * 3]])
    assert F.to_ints(r["zs"][-1][r["u"] : r["u"] + 1]) != [1]


def test_lookup_miss_breaks_the_running_sum():
    r = run_arguments(FeatureCircuit(tamper="lookup"), [[fibonacci(FIB_LEN)[-1] * 20]])
    assert any(F.to_ints(phi[r["u"] : r["u"] + 1]) != [0] for phi in r["sums"])

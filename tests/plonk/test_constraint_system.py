"""Constraint system shape: degrees, blinding rows, lookup batching, serialisation."""

from __future__ import annotations

import numpy as np
import pytest

from zkml_core.errors import CircuitError
from zkml_core.plonk.circuit import configure, rows_needed
from zkml_core.plonk.constraint_system import ConstraintSystem
from zkml_core.plonk.evaluation import multiplicities, rows_in_set
from zkml_core.plonk.expression import to_data

from .circuits import FeatureCircuit
from .slow_field import SLOW_FR


def test_expression_degrees():
    cs = ConstraintSystem()
    a, q = cs.advice_column(), cs.selector()
    ch = cs.challenge_usable_after(0)
    assert (q.cur() * (a.cur() * a.next() - 3)).degree() == 3
    assert (a.cur() ** 4 * ch + 1).degree() == 4
    assert (2 * a.cur() - a.prev()).degree() == 1


def test_degree_is_computed_from_gates_and_lookups():
    cs = ConstraintSystem()
    a, q = cs.advice_column(), cs.selector()
    t = cs.table_column()
    assert cs.degree() == 3  # permutation / lookup table side minimum
    cs.lookup("l", [(q.cur() * a.cur(), t)])
    assert cs.degree() == 4  # l_active * h * (beta + q*a)
    cs.create_gate("g", q.cur() * a.cur() ** 4)
    assert cs.degree() == 5
    assert cs.quotient_pieces() == 4 and cs.extended_k_extra() == 2


def test_lookup_inputs_batched_up_to_degree():
    cs = ConstraintSystem()
    a = cs.advice_column()
    t, t2 = cs.table_column(), cs.table_column()
    cs.create_gate("deg5", a.cur() ** 5)
    for i in range(4):
        cs.lookup(f"l{i}", [(a.cur(), t)])
    cs.lookup("other", [(a.cur(), t2)])
    groups = cs.lookup_groups()
    assert [g.table for g in groups] == [(t,), (t2,)]
    # degree 5: helper constraint 2 + (number of degree-1 inputs) <= 5
    assert groups[0].batches == [[0, 1, 2], [3]]
    assert groups[1].batches == [[4]]


def test_blinding_factors_follow_advice_queries():
    cs = ConstraintSystem()
    a = cs.advice_column()
    cs.create_gate("g", a.cur() - a.next())
    assert cs.blinding_factors() == 4  # max(3, 2) + 1
    cs.create_gate("h", a.rot(-2) + a.rot(2) + a.rot(3))
    assert cs.blinding_factors() == 6  # 5 distinct rotations + 1
    assert cs.usable_rows(5) == 32 - 6 - 1
    with pytest.raises(CircuitError, match="increase k"):
        cs.usable_rows(3)


def test_round_trip_through_data():
    cs, _ = configure(FeatureCircuit())
    cs2 = ConstraintSystem.from_data(cs.to_data())
    assert cs2.to_data() == cs.to_data()
    assert cs2.degree() == cs.degree() and cs2.num_phases == 2
    assert [to_data(e) for g in cs2.gates for _, e in g.constraints] == [
        to_data(e) for g in cs.gates for _, e in g.constraints
    ]


def test_rows_needed():
    rows, k = rows_needed(FeatureCircuit())
    assert rows == 12 + 1 + 4 + 12
    assert (1 << k) - 4 - 1 >= rows > (1 << (k - 1)) - 4 - 1


def test_copy_needs_equality():
    class Bad:
        def configure(self, cs):
            return cs.advice_column()

        def synthesize(self, layouter, a):
            with layouter.region("r") as region:
                x = region.assign_advice(a, 0, [1, 2])
            layouter.constrain_equal(x[0], x[1])

    from zkml_core.dev.mock import MockProver

    with pytest.raises(CircuitError, match="enable_equality"):
        MockProver(Bad(), [], k=4, field=SLOW_FR)


def test_membership_and_multiplicities_match_python_counts():
    rng = np.random.default_rng(1)
    table = rng.integers(0, 20, size=(30, 2))
    inputs = [rng.integers(0, 20, size=(40, 2)), rng.integers(0, 20, size=(25, 2))]
    f = SLOW_FR.from_ints
    tab = [f(table[:, 0]), f(table[:, 1])]
    ins = [[f(x[:, 0]), f(x[:, 1])] for x in inputs]
    rows = {tuple(r) for r in table.tolist()}
    assert rows_in_set(ins[0], tab).tolist() == [tuple(r) in rows for r in inputs[0].tolist()]
    got = multiplicities(ins, tab)
    want = [0] * len(table)
    for x in inputs:
        for r in x.tolist():
            if tuple(r) in rows:
                want[[tuple(t) for t in table.tolist()].index(tuple(r))] += 1
    assert got.tolist() == want


def test_membership_is_exact_when_rows_share_a_first_limb():
    """Rows equal in limb 0 but not later (the fast path's blind spot) are told apart;
    raw limbs are enough here: the helpers compare limbs, not field values."""
    rng = np.random.default_rng(2)
    base = rng.integers(0, 2**63, size=(12, 4), dtype=np.uint64)
    base[:, 0] = base[:, 0] % 3  # many rows share each first limb
    table = [base[:8], base[[3, 1, 4, 1, 5, 0, 2, 6]]]
    inputs = [[base[[0, 9, 3, 3, 7]], base[[3, 1, 1, 2, 6]]]]
    rows = [(tuple(a), tuple(b)) for a, b in zip(table[0].tolist(), table[1].tolist(), strict=True)]
    tuples = [(tuple(a), tuple(b)) for a, b in zip(inputs[0][0].tolist(), inputs[0][1].tolist(), strict=True)]
    assert rows_in_set(inputs[0], table).tolist() == [t in rows for t in tuples]
    want = [0] * len(rows)
    for t in tuples:
        if t in rows:
            want[rows.index(t)] += 1
    assert multiplicities(inputs, table).tolist() == want
    assert sum(want) == 3 and 0 < rows_in_set(inputs[0], table).sum() < 5


@pytest.mark.parametrize("n", [1, 5, 64, 65, 300])
def test_prefix_scans_match_python(n):
    from zkml_core.plonk.scan import prefix_product, prefix_sum

    rng = np.random.default_rng(n)
    vals = [int(v) for v in rng.integers(1, 1 << 62, size=n)]
    p = SLOW_FR.p
    prod, tot, want_p, want_s = 1, 0, [], []
    for v in vals:
        prod, tot = prod * v % p, (tot + v) % p
        want_p.append(prod)
        want_s.append(tot)
    assert SLOW_FR.to_ints(prefix_product(SLOW_FR, SLOW_FR.from_ints(vals))) == want_p
    assert SLOW_FR.to_ints(prefix_sum(SLOW_FR, SLOW_FR.from_ints(vals))) == want_s


def test_cost_report():
    from zkml_core.dev.cost import circuit_cost

    cost = circuit_cost(FeatureCircuit())
    assert cost["rows"] == 29 and cost["k"] == 6 and cost["usable_rows"] == 64 - 5
    assert cost["degree"] == 4 and cost["phases"] == 2 and cost["advice_columns"] == 4
    # range table: x_range + range share a group; square its own: 2 groups
    assert cost["lookup_tables"] == 2 and cost["lookups"] == 3
    # 4 equality columns in chunks of degree - 2 = 2
    assert cost["permutation_products"] == 2


def test_witness_mode_assigns_one_phase_at_a_time():
    from zkml_core.plonk.circuit import synthesize

    c = FeatureCircuit()
    cs, cfg = configure(c)
    a, d = cfg["a"], cfg["d"]
    asg0 = synthesize(c, cs, cfg, SLOW_FR, 6, "witness", phase=0, instances=c.instances())
    assert asg0.values[asg0.gid(a)] is not None and asg0.values[asg0.gid(d)] is None
    assert asg0.copies == [] and all(asg0.values[asg0.gid(f)] is None for f in cs.fixed)
    asg1 = synthesize(c, cs, cfg, SLOW_FR, 6, "witness", phase=1, challenges={0: 7}, instances=c.instances())
    assert asg1.values[asg1.gid(a)] is None
    start = 12 + 1 + 4  # the horner region
    # d[0] = a[0], d[i+1] = d[i] * ch + a[i+1] with a = 1, 1, 2 and ch = 7
    d_vals = SLOW_FR.to_ints(asg1.values[asg1.gid(d)][start : start + 3])
    assert d_vals == [1, 1 * 7 + 1, (1 * 7 + 1) * 7 + 2]
    keygen = synthesize(c, cs, cfg, SLOW_FR, 6, "keygen")
    assert keygen.copies and keygen.values[keygen.gid(a)] is None
    assert SLOW_FR.to_ints(keygen.values[keygen.gid(cfg["t_range"])][:17]) == list(range(16)) + [0]


def test_int64_and_field_assignments_agree():
    from zkml_core.plonk.layouter import to_field

    vals = np.array([-3, 0, 5, 2**62], dtype=np.int64)
    f = to_field(SLOW_FR, vals)
    assert SLOW_FR.to_ints(f) == [SLOW_FR.p - 3, 0, 5, 2**62]
    assert np.array_equal(to_field(SLOW_FR, f), f)
    assert SLOW_FR.to_ints(to_field(SLOW_FR, [SLOW_FR.p - 1, 2**200])) == [SLOW_FR.p - 1, 2**200 % SLOW_FR.p]
    two = to_field(SLOW_FR, np.array([[1, 2], [3, 4]]), ncols=2)
    assert two.shape == (2, 2, 4) and SLOW_FR.to_ints(two.reshape(-1, 4)) == [1, 2, 3, 4]


class CopyIn:
    """A gadget-style batch: operands (Assigned) are copied into a region, doubled."""

    def __init__(self, cheat: bool = False) -> None:
        self.cheat = cheat

    def configure(self, cs):
        a, b = cs.advice_column(), cs.advice_column()
        q = cs.selector()
        cs.enable_equality(a)
        cs.create_gate("double", q.cur() * (b.cur() - 2 * a.cur()))
        return a, b, q

    def synthesize(self, layouter, cfg):
        from zkml_core.plonk.layouter import Assigned

        a, b, q = cfg
        vals = np.arange(-3, 3, dtype=np.int64).reshape(2, 3)
        with layouter.region("inputs") as region:
            src = Assigned(region.assign_advice(a, 0, vals.reshape(-1)).reshape(2, 3), vals)
        with layouter.region("double") as region:
            moved = src.values.reshape(-1) + (np.arange(6) == 4) * self.cheat
            region.copy_advice(a, 0, src.cells.flatten(), moved)
            region.assign_advice(b, 0, 2 * moved)
            region.enable_selector(q, 0, count=6)


def test_copy_advice_ties_operands():
    from zkml_core.dev.mock import MockProver

    assert MockProver(CopyIn(), [], k=5, field=SLOW_FR).verify() == []
    fs = MockProver(CopyIn(cheat=True), [], k=5, field=SLOW_FR).verify()
    assert [(f.kind, f.region, f.row) for f in fs] == [("copy", "double", 10)]
    assert sorted(v for _, v in fs[0].cells) == [1, 2]


def test_int_and_field_writes_keep_their_order():
    """Small ints are converted lazily; a later field write must still win, and vice versa."""
    from zkml_core.plonk.circuit import synthesize
    from zkml_core.plonk.layouter import to_field

    class Mixed:
        def configure(self, cs):
            return cs.advice_column()

        def synthesize(self, layouter, a):
            with layouter.region("r") as region:
                region.assign_advice(a, 0, np.array([1, 2, 3]))
                region.assign_advice(a, 1, to_field(SLOW_FR, np.array([20])))
                region.assign_advice(a, 2, [2**100])
                region.assign_advice(a, 0, np.array([-5]))
                cells = region.assign_advice(a, 3, np.array([9]))
            assert SLOW_FR.to_ints(layouter.values(cells)) == [9]

    c = Mixed()
    cs, a = configure(c)
    asg = synthesize(c, cs, a, SLOW_FR, 5, "mock")
    assert SLOW_FR.to_signed_ints(asg.column_values(a)[:5]) == [-5, 20, 2**100, 9, 0]

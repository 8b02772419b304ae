"""Packer and commitment gadgets under the MockProver, over BN254 Fr and Pallas Fp.

Honest witnesses equal independent references (digit-by-digit packing written here, the
vectorised Poseidon of ``poseidon.batch``); changed packed values, value and padding
slots, Poseidon state cells, blinding cells and outputs are rejected, and so are values
outside the range table even when every sum is adjusted to match (``s_i + 2^b`` with
``s_{i+1} - 1`` packs to the same element: only the lookup stops it)."""

from __future__ import annotations

import numpy as np
import pytest
from commit_circuit import CommitCircuit, PackCircuit
from gadget_circuit import add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.gadgets.commitment import Commitment, commit_native
from zkml_plugins.gadgets.packer import Packer, pack_native
from zkml_plugins.gadgets.poseidon.batch import hash_many
from zkml_plugins.gadgets.poseidon.params import poseidon_params

from zkml_core.arith.field import BN254_FR, PASTA_FP
from zkml_core.errors import CircuitError
from zkml_core.plonk.circuit import rows_needed
from zkml_core.plonk.layouter import Cells

SETTINGS = settings(max_examples=10, deadline=None)
FIELDS = {"bn254": BN254_FR, "pallas": PASTA_FP}
K = 8
LO, HI = -(2 ** (K - 1)), 2 ** (K - 1) - 10  # the range table's [min_val, max_val] at K


def reference_pack(values, k):
    """The documented packing, digit by digit: sum (v - min_val) * 2^(k*i) per element."""
    lo, n = -(2 ** (k - 1)), 253 // k
    vals = [int(v) for v in values]
    return [sum((v - lo) << (k * i) for i, v in enumerate(vals[j:j + n]))
            for j in range(0, len(vals), n)]


def reference_commitment(name, values, blind, k):
    """Poseidon (vectorised implementation) of the reference packing then the blinding."""
    F = FIELDS[name]
    words = reference_pack(values, k) + [blind]
    return F.to_ints(hash_many(F, poseidon_params(name), F.from_ints(words).reshape(1, -1, 4)))[0]


def values_strategy(k, max_size=80):
    lo, hi = -(2 ** (k - 1)), 2 ** (k - 1) - 10
    return st.lists(st.integers(lo, hi), min_size=1, max_size=max_size)


@SETTINGS
@given(st.data(), st.sampled_from(sorted(FIELDS)), st.sampled_from([4, 6, 8]),
       st.sampled_from([2, 3, 4, 7]))
def test_packed_elements_equal_the_reference(data, name, k, num_cols):
    values = data.draw(values_strategy(k))
    expected = reference_pack(values, k)
    assert pack_native(np.array(values), k) == expected
    assert all(p < 2**253 for p in expected) and len(expected) == -(-len(values) // (253 // k))
    c = PackCircuit(FIELDS[name], values, k=k, num_cols=num_cols)
    assert c.mock(expected).verify() == []
    assert FIELDS[name].to_ints(c.out.values) == expected


@settings(max_examples=6, deadline=None)
@given(st.data(), st.sampled_from(sorted(FIELDS)), st.sampled_from([4, 6, 9]))
def test_commitment_equals_the_native_computation(data, name, num_cols):
    F = FIELDS[name]
    values = np.array(data.draw(values_strategy(K, 70)))
    blind = data.draw(st.integers(0, F.p - 1))
    expected = commit_native(F, values, blind, K)
    assert expected == reference_commitment(name, values, blind, K)
    c = CommitCircuit(F, values, blind, k=K, num_cols=num_cols)
    assert c.mock([expected]).verify() == []
    assert F.to_ints(c.out.values) == [expected]
    assert c.gadgets["commitment"].native(F, values, blind) == expected
    assert commit_native(F, values, blind + 1, K) != expected  # the blinding is hashed


def committed(name, values=None, blind=987654321, num_cols=6, tamper=None):
    values = np.arange(70) % (HI - LO) + LO if values is None else np.asarray(values)
    c = CommitCircuit(FIELDS[name], values, blind, k=K, num_cols=num_cols, tamper=tamper)
    return c, commit_native(FIELDS[name], values, blind, K)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_changed_packed_values_are_rejected(name):
    # 70 values at k = 8: 31 an element, 3 elements; 6 columns: 5 value slots, 7 rows each
    for row in [0, 3, 6, 13, 20]:  # first, middle and last (packed) rows of elements
        def tamper(c, asg, row=row):
            add_to_cell(asg, c.gadgets["packer"].last_cells[1][row], 1)
        c, expected = committed(name, tamper=tamper)
        fails = c.mock([expected]).verify()
        assert any(f.kind == "gate" and "packer" in f.name for f in fails), row


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_changed_value_and_padding_slots_are_rejected(name):
    def tamper_value(c, asg):  # a value slot, not its source: the copy breaks
        add_to_cell(asg, c.gadgets["packer"].last_cells[0][6, 2], 1)

    c, expected = committed(name, tamper=tamper_value)
    assert {f.kind for f in c.mock([expected]).verify()} == {"copy", "gate"}

    # 70 values: element 2 packs values 62..69 and 23 padding copies of min_val; its
    # index 30 sits on the element's first row (14), slot 0. Change it, every
    # accumulator of the element by the matching power of two, and the public value:
    # only the padding's copy of the constant min_val is left to object.
    values = np.arange(70) % (HI - LO) + LO
    packed = pack_native(values, K)
    packed[2] += 2 ** (K * 30)

    def tamper_padding(c, asg):
        vcells, acells = c.gadgets["packer"].last_cells
        add_to_cell(asg, vcells[14, 0], 1)
        for r in range(14, 21):
            add_to_cell(asg, acells[r], 2 ** (K * 5 * (r - 14)))

    c = PackCircuit(FIELDS[name], values, k=K, tamper=tamper_padding)
    fails = c.mock(packed).verify()
    assert [f.kind for f in fails] == ["copy"] and "constants" in fails[0].name


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_changed_state_blinding_and_output_cells_are_rejected(name):
    def region(asg, prefix):
        return next(r for r in asg.regions if r.name.startswith(prefix))

    c, expected = committed(name)
    assert c.mock([expected]).verify() == []
    prover = c.mock([expected])
    pos = region(prover.asg, "poseidon")
    cols = c.config.columns
    # s0 of the first row, s2 and a helper of partial rows, s1 of the output row
    picks = [(0, pos.start), (2, pos.start + 9), (4, pos.start + 5), (1, pos.end - 1)]
    for col, row in picks:
        def tamper(c, asg, col=col, row=row):
            add_to_cell(asg, Cells(asg.gid(cols[col]), [row]), 1)
        c2, _ = committed(name, tamper=tamper)
        assert c2.mock([expected]).verify(), f"changed poseidon cell col {col} row {row} accepted"

    for what in ("blind", "out"):
        def tamper(c, asg, what=what):
            add_to_cell(asg, c.blind_cell.cells if what == "blind" else c.out.cells, 1)
        c2, _ = committed(name, tamper=tamper)
        assert c2.mock([expected]).verify(), f"changed {what} cell accepted"

    fails = c.mock([expected + 1]).verify()
    assert [f.kind for f in fails] == ["instance"]


def forge_out_of_range(delta0, delta1, acc_delta=0):
    """Change values 0 and 1 (slots 0 and 1 of an element's last row) in the tensor and
    in the packer, and the element's packed value by ``acc_delta``: every gate and copy
    still holds."""
    def tamper(c, asg):
        vcells, acells = c.gadgets["packer"].last_cells
        p = c.gadgets["packer"]
        last = p.rows_per_elem - 1
        for i, d in ((0, delta0), (1, delta1)):
            if d:
                add_to_cell(asg, c.x.cells[i], d)
                add_to_cell(asg, vcells[last, i], d)
        if acc_delta:
            add_to_cell(asg, acells[last], acc_delta)
    return tamper


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_out_of_range_values_fail_the_lookup_even_with_consistent_sums(name):
    F = FIELDS[name]
    values = np.array([5, 0] + [3] * 40)
    # s0 + 2^k and s1 - 1 pack to the same element: same packed value, same commitment
    c, expected = committed(name, values=values, tamper=forge_out_of_range(2**K, -1))
    assert kinds(c.mock([expected]).verify()) == {("lookup", "packer value0")}
    assert c.x.values[0] + 2**K > HI

    # above max_val / below min_val with the packed element adjusted (packer alone)
    for start, delta in ((HI, 1), (LO, -1)):
        vals = np.array([start, 0] + [3] * 10)
        packed = pack_native(vals, K)
        packed[0] += delta
        c = PackCircuit(F, vals, k=K, tamper=forge_out_of_range(delta, 0, delta))
        assert kinds(c.mock(packed).verify()) == {("lookup", "packer value0")}, (start, delta)
        honest = PackCircuit(F, vals, k=K)
        assert honest.mock(pack_native(vals, K)).verify() == []


def test_errors_are_actionable():
    with pytest.raises(CircuitError, match=r"value 119 is outside \[-128, 118\].*larger k"):
        committed("bn254", values=[1, 119])[0].mock([0])
    with pytest.raises(CircuitError, match="outside"):
        pack_native(np.array([LO - 1]), K)
    with pytest.raises(CircuitError, match="pass k=GadgetConfig.k"):
        Commitment().native(BN254_FR, np.array([1]), 0)
    assert Commitment().native(PASTA_FP, np.array([1]), 3, k=K) == commit_native(
        PASTA_FP, np.array([1]), 3, K)
    c, _ = committed("bn254")
    c.mock([0])
    with pytest.raises(CircuitError, match="commits over bn254 but pallas"):
        c.gadgets["commitment"].native(PASTA_FP, np.array([1]), 0)
    with pytest.raises(CircuitError, match="packs with k = 8, not 9"):
        c.gadgets["commitment"].native(BN254_FR, np.array([1]), 0, k=9)
    with pytest.raises(CircuitError, match="at least 2 advice columns"):
        PackCircuit(BN254_FR, [1], num_cols=1).mock([0])


def test_empty_tensor_commits_to_the_blinding_alone():
    from zkml_plugins.gadgets.poseidon.native import hash_message

    expected = commit_native(BN254_FR, np.zeros(0, np.int64), 77, K)
    assert expected == hash_message(poseidon_params("bn254"), [77])
    c = CommitCircuit(BN254_FR, np.zeros(0, np.int64), 77, k=K)
    assert c.mock([expected]).verify() == []


def test_layout_and_registration(zkml_registry):
    found = {c.name: c for c in zkml_registry.contributions("gadget")}
    for name, cls in (("packer", Packer), ("commitment", Commitment)):
        assert found[name].status == "ok" and found[name].cls is cls
        assert found[name].module == f"zkml_plugins.gadgets.{name}"
    c = PackCircuit(BN254_FR, np.zeros(100, np.int64), k=10, num_cols=10)
    rows_needed(c)
    p = c.gadgets["packer"]
    # k = 10: 25 values an element over 9 value columns: 3 rows, 7 values on the first
    assert (p.per_elem, p.m, p.rows_per_elem, p.first) == (25, 9, 3, 7)
    assert c.out.cells.size == 4

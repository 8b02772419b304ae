"""MockProver: honest witnesses pass; each kind of fault is reported at its place."""

from __future__ import annotations

import numpy as np
import pytest

from zkml_core.dev.mock import MockProver
from zkml_core.errors import CircuitError, VerificationError

from .circuits import FIB_LEN, FeatureCircuit, fibonacci
from .slow_field import SLOW_FR

K = 6


@pytest.fixture(params=["engine", "python"])
def field(request):
    """Every test runs on the numba engine's BN254 Fr and on the engine-free reference."""
    if request.param == "engine":
        from zkml_core.arith.field import BN254_FR

        return BN254_FR
    return SLOW_FR


def failures(field, circuit, instances=None):
    inst = instances if instances is not None else circuit.instances()
    return MockProver(circuit, inst, k=K, field=field).verify()


def test_honest_witness_passes(field):
    MockProver(FeatureCircuit(), FeatureCircuit().instances(), k=K, field=field).assert_satisfied()


def test_changed_advice_cell_names_gate_region_rows(field):
    fs = failures(field, FeatureCircuit(tamper="advice"))
    assert fs and all(f.kind == "gate" and "fib" in f.name for f in fs)
    assert all(f.region == "fibonacci" for f in fs)
    # a[5] is read by the gate on rows 4 (as next), 5 (as cur) and 6 (as prev)
    assert sorted(f.row for f in fs) == [4, 5, 6]
    f5 = next(f for f in fs if f.row == 5)
    assert ("a[5]", fibonacci(FIB_LEN)[5] + 1) in f5.cells


def test_broken_copy(field):
    c = FeatureCircuit(tamper="copy")
    fs = failures(field, c, [[(fibonacci(FIB_LEN)[-1] + 1) * 3]])
    assert [f.kind for f in fs] == ["copy"]
    assert fs[0].region == "fibonacci"
    values = [v for _, v in fs[0].cells]
    assert sorted(values) == sorted([fibonacci(FIB_LEN)[-1], fibonacci(FIB_LEN)[-1] + 1])


def test_lookup_input_outside_table(field):
    fs = failures(field, FeatureCircuit(tamper="lookup"), [[fibonacci(FIB_LEN)[-1] * 20]])
    assert [(f.kind, f.name, f.region) for f in fs] == [("lookup", "'range'", "mul")]
    assert fs[0].cells[0][1] == 20
    assert fs[0].row == FIB_LEN  # the mul region starts after the Fibonacci rows


def test_tuple_lookup(field):
    fs = failures(field, FeatureCircuit(tamper="tuple"))
    assert [(f.kind, f.name, f.region) for f in fs] == [("lookup", "'square'", "square")]
    assert [v for _, v in fs[0].cells] == [5, 26]


def test_tuple_lookup_honest_with_other_values(field):
    assert failures(field, FeatureCircuit(xs=(15, 0, 1, 9))) == []


def test_wrong_instance(field):
    fs = failures(field, FeatureCircuit(), [[12345]])
    assert [f.kind for f in fs] == ["instance"]
    assert ("inst[0]", 12345) in fs[0].cells
    assert fs[0].region == "mul"


def test_second_phase_column_with_challenge(field):
    fs = failures(field, FeatureCircuit(tamper="phase1"))
    assert {f.name for f in fs} == {"'acc'"}
    assert sorted(f.offset for f in fs) == [3, 4]
    assert sorted(f.row for f in fs) == [FIB_LEN + 1 + 4 + 3, FIB_LEN + 1 + 4 + 4]
    assert {f.region for f in fs} == {"horner"}


def test_assert_satisfied_report(field):
    with pytest.raises(VerificationError, match=r"gate 'fib' not satisfied at row 5 in region 'fibonacci' \(offset 5\)"):
        MockProver(FeatureCircuit(tamper="advice"), FeatureCircuit().instances(), k=K, field=field).assert_satisfied()


class NoSelector:
    """A gate without a selector: fine on the assigned rows, broken on the blinding rows."""

    def configure(self, cs):
        a = cs.advice_column()
        cs.create_gate("const", a.next() - a.cur())
        return a

    def synthesize(self, layouter, a):
        with layouter.region("r") as region:
            region.assign_advice(a, 0, np.full(layouter.asg.usable, 7))


def test_gate_reaching_blinding_rows_is_reported(field):
    fs = MockProver(NoSelector(), [], k=4, field=field).verify()
    assert fs and "usable rows" in fs[0].note


def test_too_many_rows(field):
    with pytest.raises(CircuitError, match="increase k"):
        MockProver(FeatureCircuit(), FeatureCircuit().instances(), k=4, field=field)

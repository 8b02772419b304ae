"""Forged witnesses that keep a gadget's arithmetic relation but change what it means.

- A constant divisor outside the remainder check's range: keygen used to lay the circuit
  out for the divisor 1 (a placeholder meant for witness divisors), so the verifying
  key's constants column said 1 and a prover dividing by 1 satisfied it; now keygen and
  measuring refuse the divisor, as the witness run always did.
- A witness divisor forged to 0, a negative number or a half-integer (source cell and
  every copy): the gates can still be met, the range lookups cannot.
- Two table outputs swapped between ops of one row: both are table values, but each is
  tied to its own input by the tuple lookup.
"""

from __future__ import annotations

import numpy as np
import pytest
import zkml_plugins.gadgets.var_div_round as vdr
from gadget_circuit import GadgetCircuit, add_to_cell, cell_value, kinds

from zkml_core.arith.field import BN254_FR
from zkml_core.errors import CircuitError
from zkml_core.plonk.circuit import configure, synthesize

F = BN254_FR
P = F.p
A = np.array([100, -20, 37, 0, 55], dtype=np.int64)


def const_circuit(name, a, divisor, k=8, num_cols=10):
    return GadgetCircuit([name], lambda g, lay, ops: g[name].assign(lay, ops[0], divisor), [a],
                         k=k, num_cols=num_cols)


def run_mode(circuit, mode, k=8):
    cs, cfg = configure(circuit)
    return cs, synthesize(circuit, cs, cfg, F, k, mode)


# ---- constant divisors are bound by the verifying key ------------------------------------

#: per gadget: a divisor beyond its remainder check at k = 8 (num_rows 247)
TOO_LARGE = {"var_div_round": 124, "var_div_round_big3": 247**3 // 2 + 1}


@pytest.mark.parametrize("name", sorted(TOO_LARGE))
@pytest.mark.parametrize("mode", ["measure", "keygen"])
def test_constant_divisor_beyond_the_check_is_refused_without_a_witness(name, mode):
    with pytest.raises(CircuitError, match=f"divisor {TOO_LARGE[name]} is outside"):
        run_mode(const_circuit(name, A, TOO_LARGE[name]), mode)
    with pytest.raises(CircuitError, match="divisor 0 is outside"):
        run_mode(const_circuit(name, A, 0), mode)


@pytest.mark.parametrize("name", sorted(TOO_LARGE))
def test_prover_following_the_keygen_path_cannot_divide_by_one(name):
    """The attack the placeholder allowed: a prover whose witness run takes the keygen
    path (here: witness_mode patched to False) divided by 1 and the MockProver accepted
    outputs equal to the inputs. Now that path refuses the constant too."""
    orig = vdr.witness_mode
    vdr.witness_mode = lambda layouter: False
    try:
        with pytest.raises(CircuitError, match="is outside"):
            const_circuit(name, A, TOO_LARGE[name]).failures()
    finally:
        vdr.witness_mode = orig


def constants(cs, asg):
    return list(F.to_signed_ints(asg.column_values(cs.constants[0])[:asg.constant_rows]))


@pytest.mark.parametrize("name", sorted(TOO_LARGE))
def test_keygen_constants_hold_the_divisor(name):
    """The verifying key's constants column holds the divisor itself (7), equal in keygen
    and in the prover's run; the largest divisor the check covers is accepted."""
    for divisor in (7, TOO_LARGE[name] - 1):
        circuit = const_circuit(name, A, divisor)
        kv, mv = (constants(*run_mode(circuit, mode)) for mode in ("keygen", "mock"))
        assert divisor in kv and kv == mv
        assert circuit.failures() == []


@pytest.mark.parametrize("name", sorted(TOO_LARGE))
def test_witness_divisor_placeholders_still_lay_out(name):
    """Keygen and measuring see witness divisors as zeros: those lay out the circuit."""
    def call(g, lay, ops):
        return g[name].assign(lay, ops[0], ops[1])
    circuit = GadgetCircuit([name], call, [A, np.array([0])], num_cols=10)
    for mode in ("measure", "keygen"):
        run_mode(circuit, mode)
    with pytest.raises(CircuitError, match="divisor 0 is outside"):
        circuit.failures()


# ---- witness divisors forged to 0, negative or half-integers -------------------------------

def set_cell(asg, cells, value):
    add_to_cell(asg, cells, (value - cell_value(asg, cells)) % P)


def signed(v):
    v %= P
    return v - P if v > P // 2 else v


def forge_divisor(name, b_forged):
    """Set the divisor (source and every row's copy) to ``b_forged`` (a field element) and
    rebuild each op: c kept, r = 2a + b - 2bc (the gate holds), and for big3 the limbs of
    r and t = 2b - 1 - r as Python ints (their sums hold: r2 / t2 take what is left)."""
    def tamper(circ, asg):
        g = circ.gadgets[name]
        set_cell(asg, circ.divisor.cells, b_forged)
        for i in range(g.last_divisor_cells.size):
            set_cell(asg, g.last_divisor_cells[i], b_forged)
        base = g.config.num_rows
        for op in range(g.last_cells.shape[0]):  # the padding ops too: they read b
            cells = g.last_cells[op]
            a, c = cell_value(asg, cells[0]), cell_value(asg, cells[1])
            r = signed(2 * a + b_forged - 2 * b_forged * c)
            if name == "var_div_round":
                set_cell(asg, cells[2], r)
                continue
            t = signed(2 * b_forged - 1 - r)
            for first, v in ((3, r), (6, t)):
                set_cell(asg, cells[first], v % base)
                set_cell(asg, cells[first + 1], v // base % base)
                set_cell(asg, cells[first + 2], v // (base * base))
    return tamper


@pytest.mark.parametrize("name", sorted(TOO_LARGE))
@pytest.mark.parametrize("b_forged", [0, -3, 7 * pow(2, -1, P) % P], ids=["0", "-3", "7/2"])
def test_forged_witness_divisor_is_rejected_by_the_range_checks(name, b_forged):
    def call(g, lay, ops):
        call.circ.divisor = ops[1]
        return g[name].assign(lay, ops[0], ops[1])

    circuit = GadgetCircuit([name], call, [A, np.array([3])], num_cols=10,
                            tamper=forge_divisor(name, b_forged))
    call.circ = circuit
    got = kinds(circuit.failures())
    assert got and {k for k, _ in got} == {"lookup"}, got  # every gate and copy holds
    if name == "var_div_round":
        assert ("lookup", "var_div_round divisor") in got
    else:  # no lookup on b: r + t = 2b - 1 has no small limbs
        assert all("limb" in n for _, n in got), got


# ---- table outputs are tied to their own inputs -----------------------------------------

TABLES = ["relu", "exp", "logistic", "tanh", "pow", "sqrt", "rsqrt"]


@pytest.mark.parametrize("name", TABLES)
def test_table_outputs_swapped_between_ops_are_rejected(name):
    """Ops 0 and 1 share a row (10 columns: 5 ops a row); their outputs, two distinct
    values of the same table, are swapped."""
    x = np.array([-6, 9, 2, 0, 4], dtype=np.int64) if name != "exp" else \
        np.array([-6, -1, -2, 0, -4], dtype=np.int64)

    def swap(circ, asg):
        cells = circ.gadgets[name].last_cells
        y0, y1 = cell_value(asg, cells[0, 1]), cell_value(asg, cells[1, 1])
        assert y0 != y1
        add_to_cell(asg, cells[0, 1], y1 - y0)
        add_to_cell(asg, cells[1, 1], y0 - y1)

    def call(g, lay, ops):
        return g[name].assign(lay, ops[0])

    assert GadgetCircuit([name], call, [x], sf=4, k=8, num_cols=10).failures() == []
    got = kinds(GadgetCircuit([name], call, [x], sf=4, k=8, num_cols=10, tamper=swap).failures())
    assert got == {("lookup", f"{name} op0"), ("lookup", f"{name} op1")}

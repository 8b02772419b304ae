"""A dishonest prover's gadget inside a real layer: the gadget computes another witness
that keeps its arithmetic relation, every later gadget works honestly on it, and the
public outputs follow (they are read back from the forged circuit). Only the constraint
that makes the forged step unique may object, and it must.

- Softmax: the row maximum replaced by the row minimum (o is a or b, so the max gate
  holds; only "o not below a / b" can object); the other rounding of e / s (c -/+ 1 with
  r +/- 2s; only the limbs of the remainder and of its bound can object).
- FullyConnected and BatchMatMul (second batch): a product entry C + 1 committed in
  phase 0 and used everywhere after; only Freivalds' C r = X (W r), under a fresh random
  challenge per run, can object (test_conv2d_circuit does the same for Conv2D).
- Mul with 2 sf beyond the remainder check: keygen used to build the key for division by
  1 (a placeholder meant for witness divisors), which such a prover satisfied.
"""

from __future__ import annotations

import numpy as np
import pytest
from builtin_layer_model import GADGETS, LAYERS, AnyLayerCircuit, one_layer
from gadget_circuit import add_to_cell, kinds
from layer_model import F, bound_cells, cell_values, mock, output_rows
from zkml_plugins.gadgets.freivalds import Freivalds
from zkml_plugins.gadgets.max import Max
from zkml_plugins.gadgets.var_div_round_big3 import VarDivRoundBig3

from zkml_core.errors import CircuitError
from zkml_core.model.circuit import ModelCircuit
from zkml_core.plonk.circuit import configure, synthesize


class ForgedCircuit(AnyLayerCircuit):
    def __init__(self, model, inputs, forged):
        ModelCircuit.__init__(self, model, LAYERS, {**GADGETS, **forged}, inputs=inputs)
        self.tamper = None
        self._forging = False

    # the dishonest prover skips the honest prover's own guard: the check of the circuit's
    # values against forward_int while synthesizing (instances still use forward_int)
    def execute(self):
        return None if self._forging else super().execute()

    def synthesize(self, layouter, cfg):
        self._forging = True
        try:
            super().synthesize(layouter, cfg)
        finally:
            self._forging = False


def forged_failures(model, inputs, forged):
    """MockProver failures of the forged circuit with its own outputs made public."""
    circuit = ForgedCircuit(model, inputs, forged)
    inst = circuit.instances(F)  # the honest outputs (execute_int)
    rows = output_rows(circuit, inst)
    prover = mock(circuit, inst)
    claimed = cell_values(prover.asg, bound_cells(prover.asg, rows)).reshape(-1)
    changed = sum(int(v) % F.p != inst[0][r] for r, v in zip(rows, claimed, strict=True))
    for r, v in zip(rows, claimed, strict=True):
        inst[0][r] = int(v) % F.p
    return changed, mock(ForgedCircuit(model, inputs, forged), inst).verify()


# ---- Softmax ------------------------------------------------------------------------------

X = np.array([[-9, 11, 13, -18, 6], [3, 1, 2, -20, 0]])  # row 0: the forged max moves an output


def softmax():
    return one_layer("Softmax", [], [X], [X.shape], 8)


class MinNotMax(Max):
    def compute(self, a, b):
        return (np.minimum(a, b),)


def test_softmax_with_the_row_minimum_as_maximum_is_rejected():
    changed, got = forged_failures(*softmax(), {"max": MinNotMax})
    assert changed > 0  # the claimed outputs differ from the honest ones
    got = kinds(got)
    assert got and {k for k, _ in got} == {"lookup"}, got
    assert all(n.startswith("max not below") for _, n in got), got


def other_rounding(d):
    """var_div_round_big3 whose divisions by a witness divisor (softmax's e / s) take the
    quotient c + d and remainder r - 2 b d on their first op (limbs as Python ints)."""
    class OtherRounding(VarDivRoundBig3):
        def compute(self, a):
            out = super().compute(a)
            if not self._variable or not self.strict:
                return out
            base, lo, b = self.config.num_rows, self.config.min_val, self._b
            c = out[0].copy()
            r = out[2] + base * out[3] + base * base * out[4]
            c[0] += d
            r[0] -= 2 * b[0] * d
            t = 2 * b - 1 - r
            return (c, (c - lo) // base, r % base, r // base % base, r // (base * base),
                    t % base, t // base % base, t // (base * base))
    return OtherRounding


@pytest.mark.parametrize("d,limb", [(1, "r"), (-1, "t")])
def test_softmax_with_the_other_rounding_is_rejected(d, limb):
    changed, got = forged_failures(*softmax(), {"var_div_round_big3": other_rounding(d)})
    assert changed == 1
    got = kinds(got)
    assert got and {k for k, _ in got} == {"lookup"}, got
    assert all(n.startswith(f"var_div_round_big3 limb {limb}") for _, n in got), got


# ---- Freivalds in FullyConnected and BatchMatMul -------------------------------------------

def forged_product(call, at, delta=1):
    """Freivalds whose ``call``-th product has C[at] + delta in phase 0, used after."""
    class Forged(Freivalds):
        def assign(self, layouter, x, w, c):
            self.calls = getattr(self, "calls", 0) + 1
            if layouter.asg.mode == "mock" and self.calls == call:
                c.values[at] += delta
                add_to_cell(layouter.asg, c.cells[at], delta)
            return super().assign(layouter, x, w, c)
    return Forged


def only_the_freivalds_check(got):
    assert len(got) == 1 and got[0].kind == "copy", got
    assert got[0].name.count("freivalds_") == 2, got  # X (W r) == C r, phase-1 columns


def test_fully_connected_forged_product_is_rejected_by_freivalds():
    rng = np.random.default_rng(4)
    x, w, b = rng.integers(-20, 20, (4, 6)), rng.integers(-20, 20, (5, 6)), rng.integers(-9, 9, 5)
    model, inputs = one_layer("FullyConnected", [0], [x, w, b], [(4, 5)], 1, k=11)
    assert "freivalds" in AnyLayerCircuit(model, inputs).gadget_names()
    for _ in range(3):  # a fresh challenge each run
        changed, got = forged_failures(model, inputs, {"freivalds": forged_product(1, (2, 3))})
        assert changed == 1  # sf 1: the output moves with the product
        only_the_freivalds_check(got)


def test_batch_mat_mul_forged_product_of_the_second_batch_is_rejected():
    rng = np.random.default_rng(5)
    a, b = rng.integers(-9, 9, (2, 5, 4)), rng.integers(-9, 9, (2, 4, 5))
    model, inputs = one_layer("BatchMatMul", [0, 0], [a, b], [(2, 5, 5)], 1, n_inputs=2)
    assert "freivalds" in AnyLayerCircuit(model, inputs).gadget_names()
    changed, got = forged_failures(model, inputs, {"freivalds": forged_product(2, (4, 0), -3)})
    assert changed == 1
    only_the_freivalds_check(got)
    changed, got = forged_failures(model, inputs, {"freivalds": forged_product(2, (4, 0), 0)})
    assert changed == 0 and got == []


# ---- a constant divisor is the verifying key's -------------------------------------------

@pytest.mark.parametrize("mode", ["measure", "keygen"])
def test_mul_with_a_scale_factor_beyond_the_division_check_has_no_key(mode):
    """k 10: num_rows 1015, so var_div_round covers divisors up to 507; sf 512 is beyond."""
    a = np.array([[3, -4, 5]])
    model, inputs = one_layer("Mul", [], [a, a], [a.shape], 512, k=10)
    circuit = AnyLayerCircuit(model, inputs)
    cs, cfg = configure(circuit)
    with pytest.raises(CircuitError, match="divisor 512 is outside"):
        synthesize(circuit, cs, cfg, F, 11, mode)

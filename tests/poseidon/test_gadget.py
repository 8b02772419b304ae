"""The Poseidon gadget under the MockProver: in-circuit hashes equal the native ones, and
changing any state cell, message word, tag or output is rejected."""

from __future__ import annotations

import numpy as np
import pytest
from poseidon_fields import FIELD_OBJS
from zkml_plugins.gadgets.poseidon.gadget import PoseidonGadget
from zkml_plugins.gadgets.poseidon.native import hash_message, hash_zkml_compat
from zkml_plugins.gadgets.poseidon.params import FIELDS, poseidon_params
from zkml_plugins.gadgets.poseidon.rows import FULL, PARTIAL

from zkml_core.dev.mock import MockProver
from zkml_core.plonk.circuit import rows_needed
from zkml_core.plonk.layouter import Assigned


class HashCircuit:
    """Messages in an input column, hashed by the gadget, hashes exposed as instances."""

    def __init__(self, gadget, messages, blinding=None, tamper=None, field_values=False, ncols=6):
        self.gadget, self.messages, self.blinding = gadget, messages, blinding
        self.tamper, self.field_values, self.ncols = tamper, field_values, ncols

    def configure(self, cs):
        cols = [cs.advice_column() for _ in range(self.ncols + 1)]
        for c in cols:
            cs.enable_equality(c)
        inst = cs.instance_column()
        cs.enable_equality(inst)
        self.gadget.configure(cs, cols[:self.ncols])
        return dict(cols=cols, inst=inst)

    def synthesize(self, layouter, cfg):
        n, length = len(self.messages), len(self.messages[0])
        flat = [v for m in self.messages for v in m]
        extra = [self.blinding] if self.blinding is not None else []
        with layouter.region("inputs") as region:
            cells = region.assign_advice(cfg["cols"][-1], 0, flat + extra)
        if self.field_values:
            values = (layouter.field.from_ints(flat) if layouter.field is not None
                      else np.zeros((n * length, 4), dtype=np.uint64)).reshape(n, length, 4)
        else:
            values = np.array(flat, dtype=np.int64).reshape(n, length)
        message = Assigned(cells[: n * length].reshape(n, length), values)
        blinding = None
        if self.blinding is not None:
            blinding = Assigned(cells[n * length:], np.array([self.blinding], dtype=np.int64))
        out = self.gadget.assign(layouter, message, blinding, zkml_compat=blinding is not None)
        layouter.constrain_instance(out.cells, cfg["inst"], np.arange(n))
        self.out = out
        if self.tamper is not None and layouter.asg.mode == "mock":
            self.tamper(layouter.asg)


def mock(circuit, instances, field):
    _, k = rows_needed(circuit)
    return MockProver(circuit, [instances], k=k, field=FIELD_OBJS[field])


def bump(col_index, row):
    def tamper(asg):
        col = asg.cs.advice[col_index]
        vals = asg.column_values(col)
        vals[row] = asg.field.add(vals[row:row + 1], asg.field.ones(1))[0]
    return tamper


@pytest.mark.parametrize("ncols", [4, 6, 8, 10, 21])
@pytest.mark.parametrize("field,length", [("bn254", 2), ("pallas", 3), ("bn254", 5)])
def test_honest_hashes_match_native(field, length, ncols):
    gadget = PoseidonGadget(field)
    prm = poseidon_params(field)
    rng = np.random.default_rng(length)
    messages = rng.integers(-(2**62), 2**62, size=(2, length)).tolist()
    expected = [hash_message(prm, m) for m in messages]
    circuit = HashCircuit(gadget, messages, ncols=ncols)
    prover = mock(circuit, expected, field)
    assert prover.verify() == []
    assert FIELD_OBJS[field].to_ints(circuit.out.values) == expected
    assert prover.cs.degree() == (6 if ncols == 4 else 4)
    # k partial rounds a row: R_F full rows, ceil(R_P / k) partial rows, the output row
    k = 2 if ncols == 4 else min((ncols - 2) // 2, 8)
    assert gadget.rows_per_permutation == 8 + -(-prm.r_p // k) + 1


def test_field_valued_messages_and_wrong_public_hash():
    gadget = PoseidonGadget("pallas")
    messages = [[FIELDS["pallas"] - 1, 7]]
    expected = [hash_message(poseidon_params("pallas"), messages[0])]
    assert mock(HashCircuit(gadget, messages, field_values=True), expected, "pallas").verify() == []
    fails = mock(HashCircuit(gadget, messages, field_values=True), [expected[0] + 1], "pallas").verify()
    assert [f.kind for f in fails] == ["instance"]


@pytest.mark.parametrize("ncols", [4, 6, 8])
def test_zkml_compat_mode_matches_native(ncols):
    gadget = PoseidonGadget("bn254", 56, mds_skip=0)
    prm = poseidon_params("bn254", 56, mds_skip=0)
    messages = [[3, -4, 5, 6, 7]]  # 5 values + blinding -> 8 words, two ConstantLength<4> chunks
    expected = [hash_zkml_compat(prm, messages[0], blinding=11)]
    assert mock(HashCircuit(gadget, messages, blinding=11, ncols=ncols), expected, "bn254").verify() == []
    fails = mock(HashCircuit(gadget, messages, blinding=12, ncols=ncols), expected, "bn254").verify()
    assert fails


def used_cells(gadget, start, blocks):
    """(column index, row) of every cell the gadget's gates or copies read."""
    P = gadget.rows_per_permutation
    low = gadget.low_degree
    cells = []
    for b in range(blocks):
        base = start + b * P
        cells += [(c, base + r) for r in range(P) for c in range(3)]
        for r, (kind, _, n) in enumerate(gadget.plan):
            if low:
                helpers = 3 if kind == FULL else 2 * n - 1
            else:
                helpers = 1 if kind == PARTIAL and n == 2 else 0
            cells += [(3 + c, base + r) for c in range(helpers)]
        if b:
            cells += [(3, base - 1), (4, base - 1)] if low else [(3, base - 1), (3, base)]
    return cells


# single-block cases check every cell (BN254: odd R_P, a 1-round row with 4 columns;
# Pallas with 9 columns: 3 rounds a row and a 2-round last partial row); two-block cases
# check the seam between the blocks and a third of the helper cells
@pytest.mark.parametrize("field,length,ncols", [
    ("bn254", 2, 4), ("bn254", 2, 6), ("pallas", 1, 9), ("pallas", 4, 4), ("pallas", 4, 9),
])
def test_changing_any_state_cell_is_rejected(field, length, ncols):
    gadget = PoseidonGadget(field)
    messages = [list(range(1, length + 1))]
    expected = [hash_message(poseidon_params(field), messages[0])]
    circuit = HashCircuit(gadget, messages, ncols=ncols)
    prover = mock(circuit, expected, field)  # configures the gadget for this layout
    assert prover.verify() == []
    start = length  # the inputs region holds the words on rows 0 .. length - 1
    blocks = -(-length // 2)
    cells = used_cells(gadget, start, blocks)
    assert len(cells) > 3 * gadget.rows_per_permutation * blocks
    if blocks > 1:  # block 0 alone is the single-block case: check the seam and helper cells
        seam = start + gadget.rows_per_permutation
        cells = [(c, r) for c, r in cells if (c >= 3 and r % 3 == 0) or abs(r - seam) <= 2]
    for col, row in cells:
        circuit = HashCircuit(gadget, messages, tamper=bump(col, row), ncols=ncols)
        assert mock(circuit, expected, field).verify(), f"tampered cell col {col} row {row} accepted"


def test_tampered_message_word_is_rejected():
    gadget = PoseidonGadget("bn254")
    messages = [[1, 2, 3]]
    expected = [hash_message(poseidon_params("bn254"), messages[0])]
    for row in range(3):  # the input column (the last advice column)
        fails = mock(HashCircuit(gadget, messages, tamper=bump(6, row)), expected, "bn254").verify()
        assert fails and {f.kind for f in fails} <= {"copy", "instance", "gate"}


def test_registered_as_the_poseidon_gadget():
    import zkml_plugins.gadgets.poseidon as plugin

    from zkml_core.plugins import Registry

    reg = Registry(autoload=False)
    reg.register(plugin)
    assert reg.gadgets() == {"poseidon": PoseidonGadget}


class ModelStyleCircuit:
    """The gadget built the way a model circuit builds gadgets: by name, with a GadgetConfig."""

    def __init__(self, values, field=None, gadget_cls=PoseidonGadget):
        self.values, self.field, self.gadget_cls = values, field, gadget_cls

    def configure(self, cs):
        from zkml_core.plonk.gadgets import GadgetConfig, configure_gadgets

        cols = [cs.advice_column() for _ in range(8)]
        inst = cs.instance_column()
        cs.enable_equality(inst)
        config = GadgetConfig(scale_factor=512, k=9, columns=cols, field=self.field)
        gadgets = configure_gadgets(cs, config, ["poseidon"], {"poseidon": self.gadget_cls})
        self.gadget = gadgets["poseidon"]
        return gadgets["poseidon"], cols, inst

    def synthesize(self, layouter, cfg):
        gadget, cols, inst = cfg
        with layouter.region("inputs") as region:
            cells = region.assign_advice(cols[:len(self.values)], 0, np.array([self.values]))
        out = gadget.assign(layouter, Assigned(cells.flatten(), np.array(self.values)))
        layouter.constrain_instance(out.cells, inst, [0])


def test_configured_by_name_with_a_gadget_config():
    values = [5, -6, 7]
    expected = hash_message(poseidon_params("bn254"), values)
    circuit = ModelStyleCircuit(values)
    _, k = rows_needed(circuit)
    assert MockProver(circuit, [[expected]], k=k, field=FIELD_OBJS["bn254"]).verify() == []
    fails = MockProver(circuit, [[expected + 1]], k=k, field=FIELD_OBJS["bn254"]).verify()
    assert [f.kind for f in fails] == ["instance"]


@pytest.mark.parametrize("field", ["bn254", "pallas"])
def test_parameter_set_follows_the_config_field(field):
    """Built by name, the gadget hashes with the parameter set of GadgetConfig.field."""
    values = [5, -6, 7]
    expected = hash_message(poseidon_params(field), values)
    circuit = ModelStyleCircuit(values, FIELD_OBJS[field])
    _, k = rows_needed(circuit)
    assert MockProver(circuit, [[expected]], k=k, field=FIELD_OBJS[field]).verify() == []
    assert circuit.gadget.params.field == field
    other = "pallas" if field == "bn254" else "bn254"
    assert circuit.gadget.params.r_p == poseidon_params(field).r_p
    assert expected != hash_message(poseidon_params(other), values)


def test_field_mismatches_are_clear_errors():
    from zkml_core.errors import CircuitError

    # no config field: BN254 Fr, which a Pallas circuit rejects with a hint
    circuit = ModelStyleCircuit([1, 2])
    with pytest.raises(CircuitError, match="GadgetConfig.field"):
        MockProver(circuit, [[0]], k=rows_needed(circuit)[1], field=FIELD_OBJS["pallas"])

    class FixedBn254(PoseidonGadget):
        def __init__(self):
            super().__init__("bn254")

    with pytest.raises(CircuitError, match="built for bn254 but the circuit's field is pallas"):
        rows_needed(ModelStyleCircuit([1, 2], FIELD_OBJS["pallas"], FixedBn254))


def test_field_names():
    from zkml_plugins.gadgets.poseidon.params import PoseidonParamsError, field_name

    from zkml_core.arith.field import BN254_FQ

    assert [field_name(FIELD_OBJS[f]) for f in FIELD_OBJS] == list(FIELD_OBJS)
    assert field_name(FIELDS["pallas"]) == "pallas" and field_name("vesta") == "vesta"
    with pytest.raises(PoseidonParamsError, match="no Poseidon parameters"):
        field_name(BN254_FQ)


def test_config_for_columns_keeps_the_field():
    from zkml_core.plonk.constraint_system import ConstraintSystem
    from zkml_core.plonk.gadgets import GadgetConfig

    cs = ConstraintSystem()
    cfg = GadgetConfig(scale_factor=4, k=8, columns=[cs.advice_column()], field=FIELD_OBJS["pallas"])
    assert cfg.for_columns([cs.advice_column()]).field is FIELD_OBJS["pallas"]
    assert GadgetConfig(scale_factor=4, k=8, columns=[]).field is None

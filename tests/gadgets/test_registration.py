"""Each built-in gadget has its own entry point and module; GadgetConfig and
configure_gadgets resolve requirements in name order."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import CLASSES, GadgetCircuit

from zkml_core.errors import CircuitError
from zkml_core.interfaces import Gadget
from zkml_core.plonk.constraint_system import ConstraintSystem
from zkml_core.plonk.gadgets import GadgetConfig, configure_gadgets, gadget_closure


def test_entry_points_provide_the_gadgets(zkml_registry):
    found = {c.name: c for c in zkml_registry.contributions("gadget")}
    for name, cls in CLASSES.items():
        c = found[name]
        assert c.status == "ok" and c.package == "zkml"
        assert c.module == f"zkml_plugins.gadgets.{name}"
        assert issubclass(c.cls, Gadget) and c.cls is cls and cls.description


def test_closure_adds_requirements_sorted():
    with_lookup = [n for n, c in CLASSES.items() if "input_lookup" in c.requires]
    for name in with_lookup:
        assert gadget_closure([name], CLASSES) == sorted({name, "input_lookup"})
    with pytest.raises(CircuitError, match="no gadget named 'nope'"):
        gadget_closure(["adder", "nope"], CLASSES)


def test_config_values_and_one_constraint_system():
    cs = ConstraintSystem()
    cols = [cs.advice_column() for _ in range(4)]
    cfg = GadgetConfig(scale_factor=512, k=15, columns=cols)
    assert (cfg.min_val, cfg.max_val, cfg.num_rows, cfg.num_cols) == (-16384, 16374, 32759, 4)
    assert cfg.range_table(cs) is cfg.range_table(cs)
    configure_gadgets(cs, cfg, ["adder"], CLASSES)
    with pytest.raises(CircuitError, match="one ConstraintSystem"):
        configure_gadgets(ConstraintSystem(), cfg, ["adder"], CLASSES)
    with pytest.raises(CircuitError, match="not configured"):
        cfg.gadget("max")


def test_too_few_columns_is_a_clear_error():
    with pytest.raises(CircuitError, match="at least 3 advice columns"):
        GadgetCircuit(["add_pairs"], None, [], num_cols=2).failures()


def test_range_table_holds_zero_to_num_rows():
    def call(g, lay, ops):
        with pytest.raises(CircuitError, match="only holds the range table"):
            g["input_lookup"].assign(lay, *ops)

    c = GadgetCircuit(["input_lookup"], call, [np.arange(3)], k=6)
    from zkml_core.dev.mock import MockProver

    prover = MockProver(c, [], k=6)
    table = prover.asg.column_values(c.gadgets["input_lookup"].table)
    u = prover.asg.usable
    vals = prover.field.to_ints(table[:u])
    assert vals[:55] == list(range(55)) and set(vals[55:]) == {0}


def test_config_for_other_columns_shares_the_tables():
    cs = ConstraintSystem()
    cols = [cs.advice_column() for _ in range(4)]
    later = [cs.advice_column(phase=1) for _ in range(3)]
    cfg = GadgetConfig(scale_factor=4, k=8, columns=cols)
    g0 = configure_gadgets(cs, cfg, ["relu", "dot_product"], CLASSES)
    cfg1 = cfg.for_columns(later)
    g1 = configure_gadgets(cs, cfg1, ["relu", "dot_product"], CLASSES)
    assert cfg1.range_table(cs) is cfg.range_table(cs)
    assert g1["dot_product"] is not g0["dot_product"] and g1["dot_product"].acc is later[-1]
    assert len(cs.tables) == 3  # one range table, two relu tables

"""Lookup-table gadgets (relu, exp, logistic, tanh, pow, sqrt, rsqrt) under the
MockProver: outputs equal an independent per-value reference of zkml's table formula;
a changed output, an input outside the table and a changed input copy are rejected."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from gadget_circuit import CLASSES, GadgetCircuit, add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.errors import CircuitError
from zkml_core.plonk.gadgets import GadgetConfig

SETTINGS = settings(max_examples=10, deadline=None)


def rust_round(v: float) -> int:
    """Rust's ``v.round() as i64``: ties away from zero (exact, through Fraction),
    saturating, NaN -> 0."""
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return 2**63 - 1 if v > 0 else -(2**63)
    f = Fraction(v)
    r = math.floor(abs(f) + Fraction(1, 2))
    r = r if f >= 0 else -r
    return max(-(2**63), min(2**63 - 1, r))


def reference(name: str, x: int, sf: int) -> int:
    """zkml's table value of ``x`` (see the facts file, section 3)."""
    v = x / sf
    if name == "relu":
        return max(x, 0)
    if name == "exp":
        try:  # one product with sf² as an f64, as zkml's exp.rs: e·sf·sf rounds twice
            return rust_round(math.exp(v) * float(sf * sf))
        except OverflowError:
            return 2**63 - 1
    if name == "logistic":
        try:
            e = math.exp(-v)
        except OverflowError:
            e = math.inf
        return rust_round(1.0 / (1.0 + e) * sf)
    if name == "tanh":
        return rust_round(math.tanh(v) * sf)
    if name == "pow":
        try:
            return rust_round(math.pow(v, 3.0) * sf)
        except OverflowError:
            return rust_round(math.copysign(math.inf, v))
    if name == "sqrt":
        return rust_round(math.sqrt(v) * sf) if v >= 0 else 0
    if name == "rsqrt":
        if v < 0:
            return 0
        # (1 / sqrt) * sf, in this order, as zkml's layers compute it
        return rust_round(1.0 / math.sqrt(v) * sf) if v > 0 else 2**63 - 1
    raise AssertionError(name)


TABLES = [n for n in ["relu", "exp", "logistic", "tanh", "pow", "sqrt", "rsqrt"] if n in CLASSES]


def call(name):
    return lambda g, lay, ops: g[name].assign(lay, *ops)


def bounds(k):
    cfg = GadgetConfig(scale_factor=1, k=k, columns=[])
    return cfg.min_val, cfg.max_val


def test_exp_scales_by_sf_squared_in_one_product():
    """x = 103 at sf 3: e^(103/3)·9 = 7328578116903289.2 in one product, but e·3·3
    rounds to ...288 (hypothesis found this row)."""
    c = GadgetCircuit(["exp"], call("exp"), [np.array([103])], sf=3, k=8, num_cols=2)
    assert c.failures() == []
    assert c.out.values.tolist() == [reference("exp", 103, 3)] == [7328578116903289]


@SETTINGS
@given(st.data(), st.sampled_from(TABLES), st.sampled_from([8, 9]), st.integers(2, 9),
       st.integers(1, 40))
def test_table_gadget_honest(data, name, k, num_cols, sf):
    lo, hi = bounds(k)
    n = data.draw(st.integers(1, 12))
    x = np.array(data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)), dtype=np.int64)
    c = GadgetCircuit([name], call(name), [x], sf=sf, k=k, num_cols=num_cols)
    assert c.failures() == []
    expect = [0 if v == lo else reference(name, int(v), sf) for v in x]
    assert c.out.values.tolist() == expect


@pytest.mark.parametrize("name", TABLES)
def test_whole_table_matches_reference(name):
    """Every row of the table (k = 8, sf = 16) against the per-value reference."""
    c = GadgetCircuit([name], call(name), [np.array([0])], sf=16, k=8)
    c.failures()
    g = c.gadgets[name]
    lo = g.config.min_val
    values = g.table_values().tolist()
    assert values[0] == 0
    assert values[1:] == [reference(name, i + lo, 16) for i in range(1, g.config.num_rows)]


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("op", [0, 4])
def test_table_gadget_tampering(name, op):
    x = np.array([-5, 3, 17, 0, 9, -1, 40], dtype=np.int64)  # 10 columns: 5 ops a row
    slot = op % 5

    def out(circ, asg):
        add_to_cell(asg, circ.out.cells[op], 1)

    def beyond(circ, asg):  # x below min_val: no table row, whatever the output
        cells = circ.gadgets[name].last_cells
        add_to_cell(asg, cells[op, 0], -(int(x[op]) + 200))

    def copy(circ, asg):  # another x in the gadget with its true table output
        cells = circ.gadgets[name].last_cells
        add_to_cell(asg, cells[op, 0], 1)
        g = circ.gadgets[name]
        v = int(x[op])
        t = g.table_values()
        add_to_cell(asg, cells[op, 1], int(t[v + 1 - g.config.min_val]) - int(t[v - g.config.min_val]))

    run = lambda t: kinds(GadgetCircuit([name], call(name), [x], sf=4, k=8, num_cols=10,  # noqa: E731
                                        tamper=t).failures())
    assert run(out) == {("lookup", f"{name} op{slot}")}
    got = run(beyond)  # (the input copy breaks too)
    assert ("lookup", f"{name} op{slot}") in got and {k for k, _ in got} == {"lookup", "copy"}
    assert {k for k, _ in run(copy)} == {"copy"}


def test_input_outside_the_table_is_a_clear_error():
    with pytest.raises(CircuitError, match="outside"):
        GadgetCircuit(["relu"], call("relu"), [np.array([500])], k=8).failures()


LAYER_TABLES = {  # gadget -> (layer module, its table function, output scale in sf powers)
    "exp": ("_table", "f64_exp", 2),
    "logistic": ("_table", "f64_sigmoid", 1),
    "tanh": ("tanh", "Tanh", 1),
    "pow": ("_table", "f64_cube", 1),
    "sqrt": ("_table", "f64_sqrt", 1),
    "rsqrt": ("_table", "f64_rsqrt", 1),
}


@pytest.mark.parametrize("name", sorted(n for n in LAYER_TABLES if n in CLASSES))
@pytest.mark.parametrize("sf", [1, 5, 100])
def test_tables_equal_the_layers_forward_int(name, sf):
    """The gadget's table (the circuit) and the layer's forward_int (the witness) agree
    on every input of a k = 10 table, also for scale factors that are not powers of 2."""
    import importlib

    from zkml_plugins.layers._table import table_lookup

    from zkml_core.model.context import ExecContext

    module, attr, power = LAYER_TABLES[name]
    fn = getattr(importlib.import_module(f"zkml_plugins.layers.{module}"), attr)
    fn = getattr(fn, "table_function", fn)
    ctx = ExecContext(scale_factor=sf, k=10, num_cols=4)
    c = GadgetCircuit([name], call(name), [np.array([0])], sf=sf, k=10)
    c.failures()
    x = np.arange(ctx.min_val, ctx.max_val + 1, dtype=np.int64)
    table = c.gadgets[name].table_values()
    assert table[: x.size].tolist() == table_lookup(name, x, fn, sf**power, ctx).tolist()

"""Lookup-table layers (Logistic, Tanh, Sqrt, Rsqrt, Pow) against zkml's table formula.

The reference recomputes each table entry on Python floats: x / sf, f, times sf, then
Rust's ``round`` (ties away from zero, written with Fraction) and the saturating cast.
Stated bound: |forward_int / sf - f(x / sf)| <= 0.5 / sf (+ float64 noise) on the same
integer x, since the table entry is f(x / sf) * sf rounded to an integer; none of the
layers changes its input before the lookup.
"""

from __future__ import annotations

import math
from fractions import Fraction

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers._table import rust_round_i64
from zkml_plugins.layers.logistic import Logistic
from zkml_plugins.layers.pow import Pow
from zkml_plugins.layers.rsqrt import Rsqrt
from zkml_plugins.layers.sqrt import Sqrt
from zkml_plugins.layers.tanh import Tanh

from zkml_core.errors import ModelError


def rust_round(v: float) -> int:
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return 2**63 - 1 if v > 0 else -(2**63)
    f = Fraction(v)
    r = math.floor(abs(f) + Fraction(1, 2))
    r = r if f >= 0 else -r
    return max(min(r, 2**63 - 1), -(2**63))


def test_rust_round():
    values = [0.5, -0.5, 1.5, -2.5, 0.49999999999999994, -0.49999999999999994, 2.0**70,
              -(2.0**70), float("nan"), float("inf"), -float("inf"), 1e-300, 123.4999]
    assert rust_round_i64(np.array(values)).tolist() == [rust_round(v) for v in values]


FUNCTIONS = {
    Logistic: lambda x: 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0,
    Tanh: math.tanh,
    Sqrt: lambda x: math.sqrt(x) if x >= 0 else float("nan"),
    Rsqrt: lambda x: (1.0 / math.sqrt(x) if x > 0 else (float("inf") if x == 0
                                                         else float("nan"))),
    Pow: lambda x: x**3,
}


def make(cls, make_spec, shape, mask=()):
    params = [3] if cls is Pow else []
    spec = make_spec(cls.name, params, [shape], [shape])
    spec.mask = tuple(mask)
    return cls(spec)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(FUNCTIONS, key=lambda c: c.name)),
       st.sampled_from([1, 16, 512, 1024]), st.integers(10, 20), st.data())
def test_table_values_and_bound(make_spec, make_ctx, cls, sf, k, data):
    from zkml_core.model import ExecContext

    ctx = ExecContext(scale_factor=sf, k=k, num_cols=10)
    lo = 1 if cls in (Sqrt, Rsqrt) else ctx.min_val
    hi = ctx.max_val if cls is not Pow else min(ctx.max_val, 40 * sf)
    x = data.draw(hnp.arrays(np.int64, st.integers(1, 12), elements=st.integers(lo, hi)))
    layer = make(cls, make_spec, x.shape)
    (got,) = layer.forward_int([x], ctx)
    f = FUNCTIONS[cls]
    want = [0 if v == ctx.min_val else rust_round(f(v / sf) * sf) for v in x.tolist()]
    assert got.tolist() == want
    (got_f,) = layer.forward_float([x / sf], ctx)
    ref = np.array([f(v / sf) for v in x.tolist()])
    finite = x != ctx.min_val
    np.testing.assert_allclose(got_f, ref, rtol=1e-12)
    err = np.abs(got / sf - ref)[finite]
    assert err.max(initial=0) <= 0.5 / sf + 1e-9 * np.abs(ref[finite]).max(initial=1)


def test_min_val_row_is_zero_and_range_is_checked(make_spec):
    from zkml_core.model import ExecContext

    ctx = ExecContext(scale_factor=16, k=10, num_cols=10)  # table [-512, 502]
    layer = make(Tanh, make_spec, (3,))
    assert layer.forward_int([np.array([-512, 0, 502])], ctx)[0].tolist() == [
        0, 0, rust_round(math.tanh(502 / 16) * 16)]
    with pytest.raises(ModelError, match=r"input value 503 is outside the lookup table "
                                         r"range \[-512, 502\] of k=10"):
        layer.forward_int([np.array([503])], ctx)
    with pytest.raises(ModelError, match="-513"):
        layer.forward_int([np.array([-513])], ctx)


def test_sqrt_special_values_and_mask(make_spec):
    from zkml_core.model import ExecContext

    ctx = ExecContext(scale_factor=4, k=10, num_cols=10)
    layer = make(Sqrt, make_spec, (4,), mask=[1, 1, 3, -1])
    got = layer.forward_int([np.array([-8, 0, 16, 16])], ctx)[0]
    # -8: sqrt of a negative is NaN -> 0; index 1 -> max_val 502; index 3 -> min_val row 0
    assert got.tolist() == [0, rust_round(math.sqrt(502 / 4) * 4), 8, 0]
    rs = make(Rsqrt, make_spec, (2,))
    assert rs.forward_int([np.array([0, 4])], ctx)[0].tolist() == [2**63 - 1, 4]


@pytest.mark.parametrize("cls,params,mask,match", [
    (Tanh, [1], [], "params must be"),
    (Tanh, [], [0, 1], "mask must be"),
    (Sqrt, [], [0], "pairs"),
    (Sqrt, [], [5, 1], "bad mask pair"),
    (Rsqrt, [], [0, 2], "bad mask pair"),
    (Pow, [2], [], "power 3"),
])
def test_bad_specs(make_spec, cls, params, mask, match):
    spec = make_spec(cls.name, params, [(2,)], [(2,)])
    spec.mask = tuple(mask)
    with pytest.raises(ModelError, match=match):
        cls(spec)

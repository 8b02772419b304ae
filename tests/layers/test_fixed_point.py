"""div_round_half_up against Python rationals, negative numerators included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkml_core.model.fixed_point import div_round_half_up


@given(st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=20),
       st.integers(1, 2**40))
def test_matches_rational_rounding(rhu, values, b):
    got = div_round_half_up(np.array(values, dtype=np.int64), b)
    assert got.dtype == np.int64
    assert got.tolist() == [rhu(a, b) for a in values]


def test_ties_round_up_also_for_negatives():
    a = np.array([-3, -2, -1, 1, 2, 3, -5, 5], dtype=np.int64)
    # -1.5 -> -1, -1 -> -1, -0.5 -> 0, 0.5 -> 1, 1 -> 1, 1.5 -> 2, -2.5 -> -2, 2.5 -> 3
    assert div_round_half_up(a, 2).tolist() == [-1, -1, 0, 1, 1, 2, -2, 3]
    # floor((2a+b)/(2b)) as in zkml, checked with Python's floor division
    for x in range(-50, 51):
        for b in (1, 3, 4, 7):
            assert int(div_round_half_up(np.int64(x), b)) == (2 * x + b) // (2 * b)


def test_rejects_non_positive_divisor():
    with pytest.raises(ValueError):
        div_round_half_up(np.arange(3), 0)


@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 4),
       st.sampled_from([2**10, 2**20, 2**26, 2**27, 2**30]), st.data())
def test_exact_matmul_matches_python_ints(m, k, n, amp, data):
    import hypothesis.extra.numpy as hnp

    from zkml_core.model.fixed_point import exact_matmul

    vals = st.integers(-amp, amp)
    a = data.draw(hnp.arrays(np.int64, (m, k), elements=vals))
    b = data.draw(hnp.arrays(np.int64, (k, n), elements=vals))
    got = exact_matmul(a, b)
    assert got.dtype == np.int64
    want = [[sum(int(a[i, t]) * int(b[t, j]) for t in range(k)) for j in range(n)]
            for i in range(m)]
    assert got.tolist() == want


@given(st.integers(1, 3), st.integers(1, 5), st.sampled_from([2**10, 2**26, 2**30]),
       st.data())
def test_exact_einsum_matches_python_ints(m, k, amp, data):
    import hypothesis.extra.numpy as hnp

    from zkml_core.model.fixed_point import exact_einsum

    vals = st.integers(-amp, amp)
    a = data.draw(hnp.arrays(np.int64, (m, k), elements=vals))
    b = data.draw(hnp.arrays(np.int64, (k,), elements=vals))
    got = exact_einsum("ij,j->i", a, b, k)
    assert got.dtype == np.int64
    assert got.tolist() == [sum(int(a[i, t]) * int(b[t]) for t in range(k)) for i in range(m)]

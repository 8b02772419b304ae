"""adapt_threads: ZKML_THREADS fixes the count (clamped to numba's); otherwise the count
is all threads or one, and numba's parallel kernels then use it."""

from __future__ import annotations

import numba
import pytest

from zkml_core.arith.field import BN254_FR as F
from zkml_core.arith.threads import adapt_threads

MOST = numba.config.NUMBA_NUM_THREADS


@pytest.fixture(autouse=True)
def _restore():
    yield
    numba.set_num_threads(MOST)


@pytest.mark.parametrize("value,want", [("1", 1), ("99", MOST), ("0", 1), ("two", MOST)])
def test_env_fixes_the_count(monkeypatch, value, want):
    monkeypatch.setenv("ZKML_THREADS", value)
    assert adapt_threads() == want == numba.get_num_threads()


def test_measured_choice_is_all_or_one_and_kernels_still_agree(monkeypatch):
    monkeypatch.delenv("ZKML_THREADS", raising=False)
    n = adapt_threads()
    assert n in (1, MOST) and numba.get_num_threads() == n
    a, b = F.random(1 << 15), F.random(1 << 15)
    got = F.to_ints(F.mul(a, b)[:50])
    want = [x * y % F.p for x, y in zip(F.to_ints(a[:50]), F.to_ints(b[:50]), strict=True)]
    assert got == want

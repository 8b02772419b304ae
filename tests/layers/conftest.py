"""Helpers for the layer tests: specs, contexts and an exact rounding reference."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from zkml_core.model import ExecContext, LayerSpec


def rhu(a: int, b: int) -> int:
    """round-half-up(a / b) on Python rationals: the independent reference."""
    return math.floor(Fraction(a, b) + Fraction(1, 2))


def make_spec(layer_type, params, inp_shapes, out_shapes):
    return LayerSpec(layer_type=layer_type, params=params,
                     inp_idxes=list(range(len(inp_shapes))), inp_shapes=inp_shapes,
                     out_idxes=[100 + i for i in range(len(out_shapes))],
                     out_shapes=out_shapes)


def make_ctx(sf: int) -> ExecContext:
    return ExecContext(scale_factor=sf, k=20, num_cols=10)


@pytest.fixture(name="rhu", scope="session")
def _rhu():
    return rhu


@pytest.fixture(name="make_spec", scope="session")
def _make_spec():
    return make_spec


@pytest.fixture(name="make_ctx", scope="session")
def _make_ctx():
    return make_ctx

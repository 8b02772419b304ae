"""Instance values to bytes and back; the decoder rejects malformed input."""

from __future__ import annotations

import pytest

from zkml_core.errors import SerializationError
from zkml_core.plonk.instances import instances_from_bytes, instances_to_bytes

from .slow_field import SLOW_FR as F


def test_round_trip():
    inst = [[1, -2, F.p - 1, 2**200], [], [7]]
    data = instances_to_bytes(F, inst)
    assert instances_from_bytes(F, data) == [[v % F.p for v in col] for col in inst]
    assert len(data) == 7 + 6 + 3 * 4 + 5 * 32


def test_rejects_malformed():
    data = instances_to_bytes(F, [[1, 2]])
    bad_value = data[:-32] + F.p.to_bytes(32, "little")
    for bad in (data[:-1], data + b"\0", b"ZKMLINX" + data[7:], data[:7] + b"\2\0" + data[9:], bad_value, data[:15]):
        with pytest.raises(SerializationError):
            instances_from_bytes(F, bad)


class _ManyPublicValues:
    """Three advice cells, each copied to many instance rows: few rows, many publics."""

    def configure(self, cs):
        a, inst = cs.advice_column(), cs.instance_column()
        cs.enable_equality(a)
        cs.enable_equality(inst)
        return a, inst

    def synthesize(self, layouter, cfg):
        import numpy as np

        a, inst = cfg
        with layouter.region("cells") as region:
            cells = region.assign_advice(a, 0, np.array([1, 2, 3]))
        layouter.constrain_instance(cells[np.arange(90) % 3], inst, np.arange(90))


def test_rows_needed_counts_the_instance_rows_copies_reach():
    from zkml_core.dev.mock import MockProver
    from zkml_core.plonk.circuit import rows_needed

    rows, k = rows_needed(_ManyPublicValues())
    assert rows == 90
    values = [[1, 2, 3] * 30]
    assert MockProver(_ManyPublicValues(), values, k=k, field=F).verify() == []

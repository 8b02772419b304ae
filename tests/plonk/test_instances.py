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

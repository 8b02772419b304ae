"""Every builtin options table round-trips through the writer and the reader.

The options codec is generic (schema field names <-> snake_case keys), so this walks all
BuiltinOptions tables of the schema: random values for each scalar field, written with
TFLiteWriter (not run: many ops would need real inputs), read back unchanged.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.convert import tflite_schema as schema
from zkml_core.convert.tflite_reader import parse_tflite
from zkml_core.convert.tflite_writer import TFLiteWriter

_SLOT = re.compile(r"Prepend(\w+?)Slot")
_SCALARS = {
    "Bool": st.booleans(), "Int8": st.integers(-128, 127), "Uint8": st.integers(0, 255),
    "Int16": st.integers(-(2**15), 2**15 - 1), "Uint16": st.integers(0, 2**16 - 1),
    "Int32": st.integers(-(2**31), 2**31 - 1), "Uint32": st.integers(0, 2**32 - 1),
    "Int64": st.integers(-(2**63), 2**63 - 1), "Uint64": st.integers(0, 2**64 - 1),
    "Float32": st.floats(-1e6, 1e6, width=32), "Float64": st.floats(-1e6, 1e6),
}


def scalar_fields(type_name: str) -> dict[str, str]:
    """snake_case field -> flatbuffers slot type, for the scalar fields of an options table."""
    mod = schema.schema_module(type_name)
    prefix = f"{type_name}Add"
    out = {}
    for name, fn in vars(mod).items():
        if name.startswith(prefix) and callable(fn):
            slot = _SLOT.search(inspect.getsource(fn))
            if slot and slot.group(1) in _SCALARS:
                out[schema.snake(name[len(prefix):])] = slot.group(1)
    return out


# ops (first one per options table) whose options the writer knows how to name
OPS = {}
for _op in sorted(schema.BUILTIN_OPS):
    _t = schema.options_type_for(_op)
    if _t is not None and _t not in OPS.values() and scalar_fields(_t):
        OPS[_op] = _t


def test_every_options_table_with_scalar_fields_is_reachable_from_an_op():
    tables = {t for t in schema.BUILTIN_OPTIONS if t != "NONE" and scalar_fields(t)}
    assert tables == set(OPS.values())
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D",
               "SOFTMAX", "CONCATENATION", "MEAN", "LEAKY_RELU"):
        assert op in OPS


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_options_roundtrip(op, data):
    fields = scalar_fields(OPS[op])
    options = {}
    for key, slot in fields.items():
        if key in schema.ENUM_FIELDS:
            options[key] = data.draw(st.sampled_from(sorted(schema.ENUM_FIELDS[key])))
        else:
            options[key] = data.draw(_SCALARS[slot])
    w = TFLiteWriter()
    x = w.add_input("x", (1, 2))
    y = w.add_tensor("y", (1, 2))
    w.add_op(op, [x], [y], **options)
    w.mark_output(y)
    (got,) = parse_tflite(w.to_bytes()).operators
    assert got.op == op and got.options_type == OPS[op]
    for key, value in options.items():
        want = float(np.float32(value)) if fields[key] == "Float32" else value
        assert got.options[key] == want, key

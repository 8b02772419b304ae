"""The .tflite reader against the real zkml MNIST model, hand-built flatbuffers and bad bytes.

References: the TFLite interpreter's own view of the same file (tensor names, shapes,
constant data), and flatbuffers built here with the raw ``tflite`` builders.
"""

from __future__ import annotations

import random

import flatbuffers
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from random_models import random_model

from zkml_core.convert import tflite_schema as schema
from zkml_core.convert.tflite_reader import (
    check_supported,
    parse_tflite,
    read_tflite,
    unsupported_ops,
)
from zkml_core.errors import ModelError, UnsupportedError
from zkml_core.interfaces import Layer

MNIST_OPS = (["CONV_2D", "AVERAGE_POOL_2D", "MUL", "ADD"] * 2
             + ["CONV_2D", "MUL", "ADD"] * 2 + ["CONV_2D", "CONV_2D", "RESHAPE", "SOFTMAX"])


def test_reads_the_zkml_mnist_model_like_the_interpreter(mnist_tflite):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    g = read_tflite(mnist_tflite)
    assert [op.op for op in g.operators] == MNIST_OPS
    assert g.inputs == (0,) and g.outputs == (39,)
    it = Interpreter(model_path=str(mnist_tflite), experimental_preserve_all_tensors=True,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    details = it.get_tensor_details()
    assert len(details) == len(g.tensors)
    for d in details:
        t = g.tensor(d["index"])
        assert t.name == d["name"]
        assert list(t.shape) == list(d["shape"])
        assert t.dtype == d["dtype"]
        if t.is_constant:
            np.testing.assert_array_equal(t.data, it.get_tensor(d["index"]))
    conv = g.operators[0]
    assert conv.inputs == (0, 7, 1) and conv.outputs == (22,)
    assert conv.options["padding"] == "VALID"
    assert conv.options["fused_activation_function"] == "RELU6"
    assert (conv.options["stride_w"], conv.options["stride_h"]) == (1, 1)
    pool = g.operators[1].options
    assert (pool["filter_width"], pool["filter_height"], pool["stride_w"]) == (2, 2, 2)
    assert g.operators[-1].options == {"beta": 1.0}


def test_missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot read TFLite model .*nope.tflite"):
        read_tflite(tmp_path / "nope.tflite")


@pytest.mark.parametrize("fraction", [0.0, 0.0001, 0.0003, 0.001, 0.1, 0.5, 0.9, 0.999])
def test_truncated_files_raise_one_model_error_naming_the_file(mnist_tflite, tmp_path, fraction):
    data = mnist_tflite.read_bytes()
    cut = tmp_path / "cut.tflite"
    cut.write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(ModelError, match="cut.tflite"):
        read_tflite(cut)


def test_every_truncation_point_is_rejected(mnist_tflite):
    data = mnist_tflite.read_bytes()
    for n in list(range(0, len(data), 53)) + list(range(len(data) - 64, len(data))):
        with pytest.raises(ModelError):
            parse_tflite(data[:n], source="m.tflite")


def test_empty_and_random_and_foreign_bytes(mnist_tflite, tmp_path):
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="empty.tflite is empty"):
        read_tflite(empty)
    rng = random.Random(7)
    for size in (3, 8, 64, 4096):
        junk = bytes(rng.randrange(256) for _ in range(size))
        with pytest.raises(ModelError):
            parse_tflite(junk, source="junk")
    data = bytearray(mnist_tflite.read_bytes())
    data[4:8] = b"ABCD"
    with pytest.raises(ModelError, match="identifier is b'ABCD', expected b'TFL3'"):
        parse_tflite(bytes(data), source="x.tflite")


def test_random_byte_corruption_never_escapes_as_another_exception(mnist_tflite):
    data = mnist_tflite.read_bytes()
    rng = random.Random(3)
    for i in range(600):
        b = bytearray(data)
        # half the time the header and tables (the first KB, where offsets live), else
        # anywhere
        end = 1024 if i % 2 else len(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(8, end)] = rng.randrange(256)
        try:
            parse_tflite(bytes(b))
        except ModelError:
            pass


def _vec(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _raw_model(codes: list[tuple[int, int]]) -> bytes:
    """A one-tensor model whose operator codes set (deprecated_builtin_code, builtin_code).

    Built with the raw generated builders (not zkml's writer); a 0 leaves the field unset.
    """
    b = flatbuffers.Builder(256)
    m = schema.schema_module
    shape = b.CreateNumpyVector(np.array([1, 4], dtype="<i4"))
    m("Tensor").TensorStart(b)
    m("Tensor").TensorAddShape(b, shape)
    tensor = m("Tensor").TensorEnd(b)
    ops = []
    for i in range(len(codes)):
        io = b.CreateNumpyVector(np.array([0], dtype="<i4"))
        m("Operator").OperatorStart(b)
        m("Operator").OperatorAddOpcodeIndex(b, i)
        m("Operator").OperatorAddInputs(b, io)
        m("Operator").OperatorAddOutputs(b, io)
        ops.append(m("Operator").OperatorEnd(b))

    tvec, ovec = _vec(b, [tensor]), _vec(b, ops)
    m("SubGraph").SubGraphStart(b)
    m("SubGraph").SubGraphAddTensors(b, tvec)
    m("SubGraph").SubGraphAddOperators(b, ovec)
    sg = m("SubGraph").SubGraphEnd(b)
    oc_offsets = []
    for dep, code in codes:
        m("OperatorCode").OperatorCodeStart(b)
        if dep:
            m("OperatorCode").OperatorCodeAddDeprecatedBuiltinCode(b, dep)
        if code:
            m("OperatorCode").OperatorCodeAddBuiltinCode(b, code)
        oc_offsets.append(m("OperatorCode").OperatorCodeEnd(b))
    cvec, svec = _vec(b, oc_offsets), _vec(b, [sg])
    m("Model").ModelStart(b)
    m("Model").ModelAddVersion(b, 3)
    m("Model").ModelAddOperatorCodes(b, cvec)
    m("Model").ModelAddSubgraphs(b, svec)
    b.Finish(m("Model").ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_op_names_from_deprecated_and_new_builtin_codes():
    # BuiltinOperator numbers from the TFLite schema: CONV_2D 3, LOGISTIC 14,
    # BROADCAST_ARGS 145 (only expressible in builtin_code, deprecated code 127)
    old_style = (3, 0)  # files from before schema v3a set only the int8 field
    both = (14, 14)
    large = (127, 145)
    # TFLite takes the larger of the two fields, also when they disagree below 127
    # (the generated BuiltinCode() accessor would return the deprecated 3 here)
    disagree = (3, 14)
    g = parse_tflite(_raw_model([old_style, both, large, disagree]))
    assert [op.op for op in g.operators] == ["CONV_2D", "LOGISTIC", "BROADCAST_ARGS",
                                             "LOGISTIC"]
    assert g.operators[0].options == {} and g.operators[0].options_type is None


def test_out_of_range_tensor_index_is_a_model_error():
    data = _raw_model([(3, 3)])
    g = parse_tflite(data)
    assert g.operators[0].inputs == (0,)
    # rewrite the operator's input index 0 -> 9 (the only int32 vector [0] after the shape)
    pos = data.find(np.array([1, 0], dtype="<i4").tobytes(), 8)
    bad = bytearray(data)
    bad[pos + 4:pos + 8] = np.array([9], dtype="<i4").tobytes()
    with pytest.raises(ModelError, match="refers to tensor 9"):
        parse_tflite(bytes(bad), source="bad")


def _layer(name: str, ops: tuple[str, ...]) -> type[Layer]:
    return type(name, (Layer,), {"name": name, "tflite_ops": ops})


def test_unsupported_ops_are_listed_all_at_once(mnist_tflite):
    g = read_tflite(mnist_tflite)
    layers = {"Conv2D": _layer("Conv2D", ("CONV_2D", "DEPTHWISE_CONV_2D")),
              "Add": _layer("Add", ("ADD",))}
    missing = unsupported_ops(g, layers)
    assert missing == [(i, op.op) for i, op in enumerate(g.operators)
                       if op.op not in ("CONV_2D", "ADD")]
    with pytest.raises(UnsupportedError) as info:
        check_supported(g, layers)
    msg = str(info.value)
    assert "8 operator(s)" in msg
    assert "#1 AVERAGE_POOL_2D" in msg and "#2 MUL" in msg and "#17 SOFTMAX" in msg
    assert "#0 " not in msg
    everything = layers | {"Rest": _layer("Rest", ("AVERAGE_POOL_2D", "MUL", "RESHAPE",
                                                   "SOFTMAX"))}
    check_supported(g, everything)


def _model_with_external_buffer(offset: int, values: np.ndarray) -> bytes:
    """A one-tensor model whose constant lives after the flatbuffer (Buffer.offset/size,
    the layout of models over 2 GB), built with the raw generated builders."""
    b = flatbuffers.Builder(256)
    m = schema.schema_module
    shape = b.CreateNumpyVector(np.array(values.shape, dtype="<i4"))
    m("Tensor").TensorStart(b)
    m("Tensor").TensorAddShape(b, shape)
    m("Tensor").TensorAddType(b, schema.TENSOR_TYPES["FLOAT32"])
    m("Tensor").TensorAddBuffer(b, 1)
    tensor = m("Tensor").TensorEnd(b)

    tvec = _vec(b, [tensor])
    m("SubGraph").SubGraphStart(b)
    m("SubGraph").SubGraphAddTensors(b, tvec)
    sg = m("SubGraph").SubGraphEnd(b)
    m("Buffer").BufferStart(b)
    empty = m("Buffer").BufferEnd(b)
    m("Buffer").BufferStart(b)
    m("Buffer").BufferAddOffset(b, offset)
    m("Buffer").BufferAddSize(b, values.nbytes)
    external = m("Buffer").BufferEnd(b)
    svec, bvec = _vec(b, [sg]), _vec(b, [empty, external])
    m("Model").ModelStart(b)
    m("Model").ModelAddVersion(b, 3)
    m("Model").ModelAddSubgraphs(b, svec)
    m("Model").ModelAddBuffers(b, bvec)
    b.Finish(m("Model").ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_buffers_stored_after_the_flatbuffer():
    values = np.arange(6, dtype="<f4").reshape(2, 3) / 4
    size = len(_model_with_external_buffer(10**6, values))  # same size for any offset
    flat = _model_with_external_buffer(size, values)
    g = parse_tflite(flat + values.tobytes())
    np.testing.assert_array_equal(g.tensor(0).data, values)
    with pytest.raises(ModelError, match="truncated: buffer 1 needs bytes"):
        parse_tflite(flat + values.tobytes()[:-1], source="big.tflite")


def test_constants_numpy_cannot_hold_are_constants_without_data(tmp_path):
    from zkml_core.convert.converter import convert
    from zkml_core.convert.tflite_writer import TFLiteWriter

    w = TFLiteWriter()
    x = w.add_input("x", (1, 4))
    c = w.add_constant("packed", np.array([0x12, 0x34], np.int8))
    w.tensors[c].type = "INT4"  # two int8 bytes hold four int4 values
    w.tensors[c].shape = (4,)
    y = w.add_tensor("y", (1, 4))
    w.add_op("MUL", [x, c], [y])
    w.mark_output(y)
    g = parse_tflite(w.to_bytes(), "int4.tflite")
    t = g.tensor(c)
    assert t.type == "INT4" and t.dtype is None and t.data is None
    assert t.is_constant and t.nbytes == 2
    mul = type("Mul", (Layer,), {
        "name": "Mul", "tflite_ops": ("MUL",),
        "from_tflite": classmethod(lambda cls, op, ctx: ctx.layer("Mul", op))})
    with pytest.raises(UnsupportedError, match="constant tensor 1 .* is an INT4 tensor"):
        convert(g, {"Mul": mul})


@settings(max_examples=60, deadline=None)
@given(random_model(), st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                          st.integers(0, 255)), min_size=1, max_size=6),
       st.floats(0.05, 1.0))
def test_mutated_and_truncated_random_models_fail_only_with_model_errors(case, flips, keep):
    data = bytearray(case[0])
    for where, value in flips:
        data[8 + int(where * (len(data) - 8))] = value
    for blob in (bytes(data), bytes(data[:int(len(data) * keep)])):
        try:
            parse_tflite(blob, "mutated.tflite")
        except ModelError:
            pass

"""Write small .tflite models with the ``tflite`` package's flatbuffer builders.

Tests, benchmarks and the bundled demo build models here instead of through
TensorFlow::

    w = TFLiteWriter()
    x = w.add_input("x", (1, 8, 8, 1))
    k = w.add_constant("k", weights)                  # (out, kh, kw, in), float32
    y = w.add_tensor("y", (1, 6, 6, 4))
    w.add_op("CONV_2D", [x, k, -1], [y], padding="VALID", fused_activation_function="RELU")
    w.mark_output(y)
    data = w.to_bytes()

Tensors may be float32 or quantised (``Quant``: per-tensor or per-channel scales and
zero points). Builtin options are given as keyword arguments with the schema's
snake_case names; ``padding`` and ``fused_activation_function`` take their names
("SAME", "RELU6"). Ops that need options get TFLite's usual defaults (stride 1, no
activation, softmax beta 1) unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import flatbuffers
import numpy as np

from zkml_core.convert import tflite_schema as schema

#: options written for an op unless the caller overrides them
_DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "CONV_2D": {"padding": "VALID", "stride_w": 1, "stride_h": 1,
                "dilation_w_factor": 1, "dilation_h_factor": 1},
    "DEPTHWISE_CONV_2D": {"padding": "VALID", "stride_w": 1, "stride_h": 1,
                          "depth_multiplier": 1, "dilation_w_factor": 1,
                          "dilation_h_factor": 1},
    "AVERAGE_POOL_2D": {"padding": "VALID", "stride_w": 1, "stride_h": 1},
    "MAX_POOL_2D": {"padding": "VALID", "stride_w": 1, "stride_h": 1},
    "SOFTMAX": {"beta": 1.0},
}


@attrs.frozen
class Quant:
    """Affine quantisation of a tensor: one scale (per-tensor) or one per channel."""

    scale: float | Sequence[float]
    zero_point: int | Sequence[int] = 0
    axis: int = 0

    def scales(self) -> np.ndarray:
        return np.atleast_1d(np.asarray(self.scale, dtype=np.float32))

    def zero_points(self) -> np.ndarray:
        zp = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))
        return np.broadcast_to(zp, self.scales().shape).copy()


@attrs.define
class _Tensor:
    name: str
    shape: tuple[int, ...]
    type: str
    buffer: int
    quant: Quant | None


@attrs.define
class _Op:
    op: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any]
    version: int


class TFLiteWriter:
    """Collects tensors and ops of one subgraph and serialises them as a TFLite model."""

    def __init__(self, description: str = "written by zkml") -> None:
        self.description = description
        self.tensors: list[_Tensor] = []
        self.ops: list[_Op] = []
        self.buffers: list[bytes] = [b""]  # buffer 0 is the schema's empty sentinel
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    # -- graph construction ---------------------------------------------------------

    def add_tensor(self, name: str, shape: Sequence[int], dtype: str = "float32",
                   quant: Quant | None = None, data: np.ndarray | None = None) -> int:
        """Add a tensor (a constant when ``data`` is given); returns its index."""
        type_name = _type_name(dtype)
        buffer = 0
        if data is not None:
            arr = np.asarray(data, dtype=schema.NUMPY_DTYPES[type_name])
            if tuple(arr.shape) != tuple(shape):
                raise ValueError(f"tensor {name}: data shape {arr.shape} != shape {tuple(shape)}")
            self.buffers.append(np.ascontiguousarray(arr).tobytes())
            buffer = len(self.buffers) - 1
        self.tensors.append(_Tensor(name, tuple(int(d) for d in shape), type_name, buffer, quant))
        return len(self.tensors) - 1

    def add_input(self, name: str, shape: Sequence[int], dtype: str = "float32",
                  quant: Quant | None = None) -> int:
        """Add a graph input tensor."""
        idx = self.add_tensor(name, shape, dtype, quant)
        self.inputs.append(idx)
        return idx

    def add_constant(self, name: str, data: np.ndarray, dtype: str | None = None,
                     quant: Quant | None = None) -> int:
        """Add a constant tensor holding ``data`` (dtype defaults to the array's)."""
        arr = np.asarray(data)
        return self.add_tensor(name, arr.shape, dtype or arr.dtype.name, quant, arr)

    def add_op(self, op: str, inputs: Sequence[int], outputs: Sequence[int],
               version: int = 1, **options: Any) -> int:
        """Add a builtin operator; -1 in ``inputs`` marks an omitted optional input."""
        if op not in schema.BUILTIN_OPS:
            raise ValueError(f"unknown TFLite builtin operator {op!r}")
        n = len(self.tensors)
        bad = [i for i in inputs if not -1 <= i < n] + [i for i in outputs if not 0 <= i < n]
        if bad:
            raise ValueError(f"{op}: tensor indices {bad} out of range (0..{n - 1}, or -1 "
                             "for an omitted optional input)")
        merged = {**_DEFAULT_OPTIONS.get(op, {}), **options}
        self.ops.append(_Op(op, list(inputs), list(outputs), merged, version))
        return len(self.ops) - 1

    def mark_output(self, index: int) -> None:
        """Make tensor ``index`` a graph output."""
        if not 0 <= index < len(self.tensors):
            raise ValueError(f"no tensor {index} to mark as an output")
        self.outputs.append(index)

    # -- serialisation ----------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model as TFLite flatbuffer bytes (file identifier ``TFL3``, schema v3)."""
        # sized for the constants up front: growing a large builder copies it each time
        b = flatbuffers.Builder(sum(len(d) + 32 for d in self.buffers) + 65536)
        buffers = [_buffer(b, data) for data in self.buffers]
        tensors = [self._tensor(b, t) for t in self.tensors]
        op_names = sorted({op.op for op in self.ops}, key=[o.op for o in self.ops].index)
        versions = {}
        for op in self.ops:
            versions[op.op] = max(versions.get(op.op, 1), op.version)
        operators = [self._operator(b, op, op_names.index(op.op)) for op in self.ops]

        m = schema.schema_module("SubGraph")
        t_vec = _offsets(b, tensors)
        in_vec = _ints(b, self.inputs)
        out_vec = _ints(b, self.outputs)
        op_vec = _offsets(b, operators)
        name = b.CreateString("main")
        m.SubGraphStart(b)
        m.SubGraphAddTensors(b, t_vec)
        m.SubGraphAddInputs(b, in_vec)
        m.SubGraphAddOutputs(b, out_vec)
        m.SubGraphAddOperators(b, op_vec)
        m.SubGraphAddName(b, name)
        subgraph = m.SubGraphEnd(b)

        oc = schema.schema_module("OperatorCode")
        codes = []
        for op_name in op_names:
            code = schema.BUILTIN_OPS[op_name]
            oc.OperatorCodeStart(b)
            oc.OperatorCodeAddDeprecatedBuiltinCode(
                b, min(code, schema.PLACEHOLDER_FOR_GREATER_OP_CODES))
            oc.OperatorCodeAddBuiltinCode(b, code)
            oc.OperatorCodeAddVersion(b, versions[op_name])
            codes.append(oc.OperatorCodeEnd(b))

        mm = schema.schema_module("Model")
        codes_vec = _offsets(b, codes)
        sub_vec = _offsets(b, [subgraph])
        buf_vec = _offsets(b, buffers)
        desc = b.CreateString(self.description)
        mm.ModelStart(b)
        mm.ModelAddVersion(b, 3)
        mm.ModelAddOperatorCodes(b, codes_vec)
        mm.ModelAddSubgraphs(b, sub_vec)
        mm.ModelAddDescription(b, desc)
        mm.ModelAddBuffers(b, buf_vec)
        b.Finish(mm.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(memoryview(b.Bytes)[b.Head():])  # one copy (Output() makes another)

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_bytes())

    def _tensor(self, b: flatbuffers.Builder, t: _Tensor) -> int:
        m = schema.schema_module("Tensor")
        quant = _quantization(b, t.quant) if t.quant is not None else None
        name = b.CreateString(t.name)
        shape = _ints(b, t.shape)
        m.TensorStart(b)
        m.TensorAddShape(b, shape)
        m.TensorAddType(b, schema.TENSOR_TYPES[t.type])
        m.TensorAddBuffer(b, t.buffer)
        m.TensorAddName(b, name)
        if quant is not None:
            m.TensorAddQuantization(b, quant)
        return m.TensorEnd(b)

    def _operator(self, b: flatbuffers.Builder, op: _Op, code_index: int) -> int:
        opts_type = schema.options_type_for(op.op)
        opts = _options(b, opts_type, op.options) if opts_type else None
        if opts_type is None and op.options:
            raise ValueError(f"{op.op} takes no builtin options, got {sorted(op.options)}")
        m = schema.schema_module("Operator")
        ins = _ints(b, op.inputs)
        outs = _ints(b, op.outputs)
        m.OperatorStart(b)
        m.OperatorAddOpcodeIndex(b, code_index)
        m.OperatorAddInputs(b, ins)
        m.OperatorAddOutputs(b, outs)
        if opts is not None:
            m.OperatorAddBuiltinOptionsType(b, schema.BUILTIN_OPTIONS[opts_type])
            m.OperatorAddBuiltinOptions(b, opts)
        return m.OperatorEnd(b)


def _type_name(dtype: str) -> str:
    name = str(np.dtype(dtype).name).upper() if dtype != "bool" else "BOOL"
    if name not in schema.NUMPY_DTYPES:
        raise ValueError(f"the writer cannot store dtype {dtype!r}")
    return name


def _ints(b: flatbuffers.Builder, values: Sequence[int]) -> int:
    return b.CreateNumpyVector(np.asarray(values, dtype="<i4").reshape(-1))


def _offsets(b: flatbuffers.Builder, offsets: Sequence[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _buffer(b: flatbuffers.Builder, data: bytes) -> int:
    m = schema.schema_module("Buffer")
    vec = None
    if data:
        # 16-byte alignment lets the interpreter use constant data in place
        b.StartVector(1, len(data), 16)
        b.head = b.head - len(data)
        b.Bytes[b.head:b.head + len(data)] = data
        b.vectorNumElems = len(data)
        vec = b.EndVector()
    m.BufferStart(b)
    if vec is not None:
        m.BufferAddData(b, vec)
    return m.BufferEnd(b)


def _quantization(b: flatbuffers.Builder, q: Quant) -> int:
    m = schema.schema_module("QuantizationParameters")
    scales = b.CreateNumpyVector(q.scales().astype("<f4"))
    zeros = b.CreateNumpyVector(q.zero_points().astype("<i8"))
    m.QuantizationParametersStart(b)
    m.QuantizationParametersAddScale(b, scales)
    m.QuantizationParametersAddZeroPoint(b, zeros)
    m.QuantizationParametersAddQuantizedDimension(b, q.axis)
    return m.QuantizationParametersEnd(b)


def _options(b: flatbuffers.Builder, type_name: str, options: dict[str, Any]) -> int:
    m = schema.schema_module(type_name)
    vectors = {}
    for key, value in options.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            vectors[key] = _ints(b, [int(v) for v in value])
    getattr(m, f"{type_name}Start")(b)
    for key, value in options.items():
        adder = getattr(m, f"{type_name}Add{schema.camel(key)}", None)
        if adder is None:
            raise ValueError(f"{type_name} has no field {key!r}")
        if key in vectors:
            value = vectors[key]
        elif key in schema.ENUM_FIELDS and isinstance(value, str):
            value = schema.ENUM_FIELDS[key][value]
        adder(b, value)
    return getattr(m, f"{type_name}End")(b)


# -- quantisation helpers ---------------------------------------------------------------

_QRANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def affine_params(lo: float, hi: float, dtype: str = "int8") -> Quant:
    """TFLite-style asymmetric (scale, zero point) covering ``[lo, hi]`` (0 included)."""
    qmin, qmax = _QRANGE[dtype]
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / (qmax - qmin) if hi > lo else 1.0
    zero_point = int(np.clip(round(qmin - lo / scale), qmin, qmax))
    return Quant(scale=float(np.float32(scale)), zero_point=zero_point)


def symmetric_params(values: np.ndarray, axis: int | None = None, dtype: str = "int8") -> Quant:
    """Symmetric weight quantisation (zero point 0), per channel along ``axis`` if given."""
    qmax = _QRANGE[dtype][1]
    arr = np.asarray(values, dtype=np.float64)
    if axis is None:
        peak = np.abs(arr).max(initial=0.0)
        return Quant(scale=float(np.float32(peak / qmax if peak > 0 else 1.0)), zero_point=0)
    other = tuple(i for i in range(arr.ndim) if i != axis)
    peak = np.abs(arr).max(axis=other, initial=0.0)
    scales = np.where(peak > 0, peak / qmax, 1.0).astype(np.float32)
    return Quant(scale=scales.tolist(), zero_point=[0] * len(scales), axis=axis)


def quantize(values: np.ndarray, q: Quant, dtype: str = "int8") -> np.ndarray:
    """round(x / scale) + zero_point, saturated to ``dtype`` (per channel along ``q.axis``)."""
    arr = np.asarray(values, dtype=np.float64)
    scales, zeros = _broadcast_params(q, arr.ndim)
    info = np.iinfo(dtype)
    return np.clip(np.round(arr / scales) + zeros, info.min, info.max).astype(dtype)


def dequantize(values: np.ndarray, q: Quant) -> np.ndarray:
    """scale * (q - zero_point) as float64 (per channel along ``q.axis``)."""
    arr = np.asarray(values, dtype=np.float64)
    scales, zeros = _broadcast_params(q, arr.ndim)
    return scales * (arr - zeros)


def _broadcast_params(q: Quant, ndim: int) -> tuple[np.ndarray, np.ndarray]:
    """(scales, zero points) shaped to broadcast along ``q.axis`` of an ndim-array."""
    scales = q.scales().astype(np.float64)
    zeros = q.zero_points()
    if len(scales) > 1:
        shape = [1] * ndim
        shape[q.axis] = len(scales)
        scales, zeros = scales.reshape(shape), zeros.reshape(shape)
    return scales, zeros

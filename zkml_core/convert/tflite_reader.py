"""Read a .tflite flatbuffer into a small intermediate graph.

:func:`read_tflite` parses the file with the ``tflite`` package and returns a
:class:`TFLiteGraph`: plain attrs records of the main subgraph's tensors (shape, dtype,
quantisation, constant data as numpy) and operators (op name such as ``"CONV_2D"``,
input/output tensor indices, builtin options decoded to a dict). Everything after this
module works on that graph and never touches flatbuffers.

A corrupt, truncated or foreign file raises one :class:`~zkml_core.errors.ModelError`
naming the file; :func:`check_supported` raises one
:class:`~zkml_core.errors.UnsupportedError` listing every op no installed layer converts.
"""

from __future__ import annotations

import inspect
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import flatbuffers
import numpy as np

from zkml_core.convert import tflite_schema as schema
from zkml_core.errors import ModelError, UnsupportedError

FILE_IDENTIFIER = b"TFL3"
#: tensor types whose quantised ops get a ``:int8``-style suffix in :meth:`TFLiteGraph.op_key`
QUANTISED_TYPES = ("INT8", "UINT8", "INT16")


@attrs.frozen
class TFLiteQuantization:
    """Affine quantisation ``real = scale * (q - zero_point)``.

    ``scales`` and ``zero_points`` have one entry per tensor (per-tensor) or one per
    slice along ``quantized_dimension`` (per-channel).
    """

    scales: np.ndarray = attrs.field(eq=False)  # float32
    zero_points: np.ndarray = attrs.field(eq=False)  # int64
    quantized_dimension: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scales) > 1


@attrs.frozen
class TFLiteTensor:
    """One tensor of the graph. ``data`` is set for constants (weights, biases, shapes)."""

    index: int
    name: str
    shape: tuple[int, ...]
    #: the schema's TensorType name: ``"FLOAT32"``, ``"INT8"``, ``"INT32"``, ...
    type: str
    #: numpy dtype for ``type``, or None for types numpy cannot hold (STRING, INT4, ...)
    dtype: np.dtype | None
    quantization: TFLiteQuantization | None
    buffer: int
    #: the constant's values; None for graph values, and for constants numpy cannot hold
    #: (types such as INT4 or STRING, sparse tensors): then only ``nbytes`` is set
    data: np.ndarray | None = attrs.field(eq=False, repr=False)
    #: size of the constant's buffer (0 for values computed by the graph)
    nbytes: int = 0
    #: the tensor is stored in TFLite's sparse format (``data`` is None)
    sparse: bool = False

    @property
    def is_constant(self) -> bool:
        return self.nbytes > 0


@attrs.frozen
class TFLiteOperator:
    """One operator: ``op`` is the BuiltinOperator name (``"CUSTOM"`` for custom ops)."""

    index: int
    op: str
    version: int
    #: tensor indices; -1 marks an omitted optional input (e.g. no bias)
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    #: builtin options as a plain dict with the schema's snake_case field names;
    #: ``padding`` and ``fused_activation_function`` are decoded to names ("SAME", "RELU")
    options: dict[str, Any] = attrs.field(eq=False)
    #: the BuiltinOptions table name, e.g. ``"Conv2DOptions"``; None when absent
    options_type: str | None = None
    custom_code: str | None = None
    custom_options: bytes = b""


@attrs.frozen
class TFLiteGraph:
    """The main subgraph of a TFLite model."""

    source: str
    version: int
    tensors: tuple[TFLiteTensor, ...]
    operators: tuple[TFLiteOperator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    description: str = ""
    num_subgraphs: int = 1

    def tensor(self, index: int) -> TFLiteTensor:
        """Tensor ``index``; -1 (TFLite's omitted optional input) is an error here."""
        if not 0 <= index < len(self.tensors):
            raise ModelError(f"{self.source}: no tensor {index} (the graph has "
                             f"{len(self.tensors)}; -1 marks an omitted optional input)")
        return self.tensors[index]

    def op_key(self, op: TFLiteOperator) -> str:
        """The name layers list in ``tflite_ops`` for this operator.

        The op name for float ops (``"CONV_2D"``); with a suffix naming the quantised type
        when the op reads or writes quantised int8 / uint8 / int16 tensors
        (``"CONV_2D:int8"``): their integer semantics differ, so a layer converts them
        only if it says so.
        """
        for t in (*op.inputs, *op.outputs):
            if t >= 0:
                tensor = self.tensors[t]
                if tensor.quantization is not None and tensor.type in QUANTISED_TYPES:
                    return f"{op.op}:{tensor.type.lower()}"
        return op.op

    def producers(self) -> dict[int, int]:
        """tensor index -> index of the operator that writes it."""
        return {t: op.index for op in self.operators for t in op.outputs}


# -- entry points --------------------------------------------------------------------


def read_tflite(path: str | Path) -> TFLiteGraph:
    """Parse the .tflite file at ``path``; raises ModelError naming it if it is not one."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read TFLite model {path}: {exc.strerror or exc}") from exc
    return parse_tflite(data, source=str(path))


def parse_tflite(data: bytes, source: str = "<bytes>") -> TFLiteGraph:
    """Parse TFLite flatbuffer bytes; ``source`` names them in error messages."""
    data = bytes(data)
    _check_header(data, source)
    try:
        return _parse(data, source)
    except ModelError:
        raise
    except Exception as exc:  # generated flatbuffer readers fail in many ways on bad bytes
        raise ModelError(
            f"{source} is not a valid TFLite model: the flatbuffer is corrupt or truncated "
            f"({type(exc).__name__}: {exc}); export the model again") from exc


def unsupported_ops(graph: TFLiteGraph, layers: Mapping[str, type] | Iterable[type]
                    ) -> list[tuple[int, str]]:
    """``(operator index, op key)`` of every operator no layer lists in ``tflite_ops``.

    The key is :meth:`TFLiteGraph.op_key` (``"CONV_2D"``, ``"CONV_2D:int8"``).
    """
    classes = layers.values() if isinstance(layers, Mapping) else layers
    known = {op for cls in classes for op in getattr(cls, "tflite_ops", ())}
    return [(op.index, _display_name(graph, op)) for op in graph.operators
            if graph.op_key(op) not in known]


def check_supported(graph: TFLiteGraph, layers: Mapping[str, type] | Iterable[type]) -> None:
    """Raise one UnsupportedError listing every op of ``graph`` no installed layer converts."""
    missing = unsupported_ops(graph, layers)
    if missing:
        listed = ", ".join(f"#{i} {name}" for i, name in missing)
        names = sorted({name for _, name in missing})
        raise UnsupportedError(
            f"{graph.source}: {len(missing)} operator(s) have no installed layer plugin: "
            f"{listed}. Install a plugin that converts {', '.join(names)} "
            f"(`zkml plugins` lists the installed layers) or change the model")


def _display_name(graph: TFLiteGraph, op: TFLiteOperator) -> str:
    key = graph.op_key(op)
    return f"{key}({op.custom_code})" if op.op == "CUSTOM" and op.custom_code else key


# -- parsing ---------------------------------------------------------------------------


def _check_header(data: bytes, source: str) -> None:
    if not data:
        raise ModelError(f"{source} is empty, not a TFLite model")
    if len(data) < 8:
        raise ModelError(f"{source} is only {len(data)} bytes, too short for a TFLite model "
                         f"(truncated?)")
    ident = data[4:8]
    if ident != FILE_IDENTIFIER:
        raise ModelError(f"{source} is not a TFLite model: its flatbuffer file identifier is "
                         f"{ident!r}, expected {FILE_IDENTIFIER!r}")
    root = struct.unpack_from("<I", data, 0)[0]
    if not 8 <= root < len(data):
        raise ModelError(f"{source} is corrupt or truncated: its root table offset {root} "
                         f"lies outside the file ({len(data)} bytes)")


def _vector(obj: Any, field: str) -> list:
    """A scalar vector field as a Python list ([] when absent)."""
    if getattr(obj, field + "Length")() == 0:
        return []
    return getattr(obj, field + "AsNumpy")().tolist()


def _text(value: bytes | None) -> str:
    return value.decode("utf-8") if value else ""


def _parse(data: bytes, source: str) -> TFLiteGraph:
    model_cls = schema.schema_module("Model").Model
    model = model_cls.GetRootAs(data, 0)

    op_codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        # schema v3a: codes >= 127 only fit builtin_code; old files set only the int8
        # deprecated_builtin_code. The real code is the larger of the two.
        code = max(oc.DeprecatedBuiltinCode(), _raw_builtin_code(oc))
        name = schema.BUILTIN_OP_NAMES.get(code)
        if name is None:
            raise ModelError(f"{source}: operator code {i} has unknown builtin code {code}; "
                             f"the model needs a newer TFLite schema than zkml knows")
        op_codes.append((name, _text(oc.CustomCode()) or None, oc.Version()))

    buffers = [_buffer_bytes(model.Buffers(i), data, source, i)
               for i in range(model.BuffersLength())]

    if model.SubgraphsLength() == 0:
        raise ModelError(f"{source} has no subgraph: not a usable TFLite model")
    sg = model.Subgraphs(0)

    tensors = tuple(_tensor(sg.Tensors(i), i, buffers, source)
                    for i in range(sg.TensorsLength()))
    n = len(tensors)

    def check_indices(idx: list[int], what: str, allow_missing: bool) -> tuple[int, ...]:
        for t in idx:
            if not (-1 if allow_missing else 0) <= t < n:
                raise ModelError(f"{source} is corrupt: {what} refers to tensor {t}, but the "
                                 f"graph has {n} tensors")
        return tuple(idx)

    operators = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        code_index = op.OpcodeIndex()
        if not 0 <= code_index < len(op_codes):
            raise ModelError(f"{source} is corrupt: operator {i} uses operator code "
                             f"{code_index} of {len(op_codes)}")
        name, custom_code, version = op_codes[code_index]
        options_type, options = _options(op)
        custom = op.CustomOptionsAsNumpy() if op.CustomOptionsLength() else None
        operators.append(TFLiteOperator(
            index=i, op=name, version=version,
            inputs=check_indices(_vector(op, "Inputs"), f"operator {i} ({name}) input", True),
            outputs=check_indices(_vector(op, "Outputs"), f"operator {i} ({name}) output",
                                  False),
            options=options, options_type=options_type, custom_code=custom_code,
            custom_options=bytes(custom) if custom is not None else b""))

    return TFLiteGraph(
        source=source, version=model.Version(), tensors=tensors, operators=tuple(operators),
        inputs=check_indices(_vector(sg, "Inputs"), "the graph input list", False),
        outputs=check_indices(_vector(sg, "Outputs"), "the graph output list", False),
        description=_text(model.Description()), num_subgraphs=model.SubgraphsLength())


def _raw_builtin_code(oc: Any) -> int:
    """The int32 ``builtin_code`` field as stored (the generated BuiltinCode() substitutes
    the deprecated field below 127, which differs from TFLite on inconsistent files)."""
    o = oc._tab.Offset(10)
    return oc._tab.Get(flatbuffers.number_types.Int32Flags, o + oc._tab.Pos) if o else 0


def _buffer_bytes(buf: Any, data: bytes, source: str, index: int) -> memoryview:
    """A buffer's bytes as a view into the file (constants are copied once, in _tensor)."""
    offset, size = buf.Offset(), buf.Size()
    if offset > 1:
        # models over 2 GB keep buffer data after the flatbuffer, addressed by offset/size
        if offset + size > len(data):
            raise ModelError(f"{source} is truncated: buffer {index} needs bytes "
                             f"{offset}..{offset + size} of a {len(data)}-byte file")
        return memoryview(data)[offset:offset + size]
    if buf.DataLength() == 0:
        return memoryview(b"")
    return memoryview(buf.DataAsNumpy())


def _tensor(t: Any, index: int, buffers: list[bytes], source: str) -> TFLiteTensor:
    name = _text(t.Name())
    type_code = t.Type()
    type_name = schema.TENSOR_TYPE_NAMES.get(type_code)
    if type_name is None:
        raise ModelError(f"{source}: tensor {index} ({name!r}) has unknown type {type_code}")
    dtype = schema.NUMPY_DTYPES.get(type_name)
    shape = tuple(int(d) for d in _vector(t, "Shape"))
    b = t.Buffer()
    if not 0 <= b < max(len(buffers), 1):
        raise ModelError(f"{source} is corrupt: tensor {index} ({name!r}) uses buffer {b} "
                         f"of {len(buffers)}")
    raw = buffers[b] if buffers else memoryview(b"")
    data = None
    sparse = t.Sparsity() is not None
    if len(raw) and dtype is not None and not sparse:
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if any(d < 0 for d in shape) or count * dtype.itemsize != len(raw):
            raise ModelError(f"{source} is corrupt: constant tensor {index} ({name!r}) of "
                             f"shape {list(shape)} {type_name} needs {count * dtype.itemsize} "
                             f"bytes, its buffer has {len(raw)}")
        data = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return TFLiteTensor(index=index, name=name, shape=shape, type=type_name, dtype=dtype,
                        quantization=_quantization(t.Quantization()), buffer=b, data=data,
                        nbytes=len(raw), sparse=sparse)


def _quantization(q: Any) -> TFLiteQuantization | None:
    if q is None or q.ScaleLength() == 0:
        return None
    scales = np.asarray(_vector(q, "Scale"), dtype=np.float32)
    zeros = np.asarray(_vector(q, "ZeroPoint"), dtype=np.int64)
    if len(zeros) == 0:
        zeros = np.zeros(len(scales), dtype=np.int64)
    return TFLiteQuantization(scales=scales, zero_points=zeros,
                              quantized_dimension=q.QuantizedDimension())


def _options(op: Any) -> tuple[str | None, dict[str, Any]]:
    for type_getter, table_getter, names in (
            ("BuiltinOptionsType", "BuiltinOptions", schema.BUILTIN_OPTIONS_NAMES),
            ("BuiltinOptions2Type", "BuiltinOptions2", schema.BUILTIN_OPTIONS2_NAMES)):
        code = getattr(op, type_getter)()
        if code == 0:
            continue
        table = getattr(op, table_getter)()
        type_name = names.get(code)
        if table is None or type_name is None:
            continue
        cls = getattr(schema.schema_module(type_name), type_name)
        obj = cls()
        obj.Init(table.Bytes, table.Pos)
        return type_name, decode_table(obj)
    return None, {}


_SKIP_SUFFIXES = ("Length", "IsNone", "AsNumpy", "BufferHasIdentifier")


def decode_table(obj: Any) -> dict[str, Any]:
    """Scalar, string and numeric-vector fields of a generated flatbuffer table, as a dict.

    Keys are the schema's snake_case field names; nested tables and vectors of tables
    are left out (no builtin option the converter uses has them).
    """
    cls = type(obj)
    out: dict[str, Any] = {}
    for attr, fn in vars(cls).items():
        if (attr.startswith(("_", "GetRootAs")) or attr == "Init" or not inspect.isfunction(fn)
                or attr.endswith(_SKIP_SUFFIXES)):
            continue
        nparams = len(inspect.signature(fn).parameters)
        key = schema.snake(attr)
        if nparams == 1:
            value = getattr(obj, attr)()
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            elif not isinstance(value, (bool, int, float, str)):
                continue  # a nested table
            if key in schema.ENUM_FIELDS:
                names = {v: k for k, v in schema.ENUM_FIELDS[key].items()}
                value = names.get(value, value)
            out[key] = value
        elif nparams == 2 and hasattr(cls, attr + "AsNumpy"):
            out[key] = _vector(obj, attr)
    return out

"""Name <-> number tables of the TFLite flatbuffer schema, taken from the ``tflite`` package.

The ``tflite`` package star-imports every generated module into its ``__init__``, so a
class such as ``tflite.Model`` shadows the module ``tflite.Model``; :func:`schema_module`
returns the module itself (where the ``Start``/``Add...`` builder functions live).
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

import numpy as np


def schema_module(name: str) -> ModuleType:
    """The generated module ``tflite.<name>`` (not the class of the same name)."""
    return importlib.import_module(f"tflite.{name}")


def _enum(name: str) -> dict[str, int]:
    cls = getattr(schema_module(name), name)
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


#: BuiltinOperator name -> code, e.g. ``"CONV_2D" -> 3``
BUILTIN_OPS: dict[str, int] = _enum("BuiltinOperator")
BUILTIN_OP_NAMES: dict[int, str] = {v: k for k, v in BUILTIN_OPS.items()}
#: codes at or above this live only in ``OperatorCode.builtin_code`` (schema v3a)
PLACEHOLDER_FOR_GREATER_OP_CODES = BUILTIN_OPS["PLACEHOLDER_FOR_GREATER_OP_CODES"]

TENSOR_TYPES: dict[str, int] = _enum("TensorType")
TENSOR_TYPE_NAMES: dict[int, str] = {v: k for k, v in TENSOR_TYPES.items()}

#: TensorType name -> numpy dtype, for the types whose buffers numpy can read directly
NUMPY_DTYPES: dict[str, np.dtype] = {
    "FLOAT32": np.dtype("<f4"), "FLOAT16": np.dtype("<f2"), "FLOAT64": np.dtype("<f8"),
    "INT8": np.dtype("i1"), "UINT8": np.dtype("u1"), "INT16": np.dtype("<i2"),
    "UINT16": np.dtype("<u2"), "INT32": np.dtype("<i4"), "UINT32": np.dtype("<u4"),
    "INT64": np.dtype("<i8"), "UINT64": np.dtype("<u8"), "BOOL": np.dtype("?"),
    "COMPLEX64": np.dtype("<c8"), "COMPLEX128": np.dtype("<c16"),
}

BUILTIN_OPTIONS: dict[str, int] = _enum("BuiltinOptions")
BUILTIN_OPTIONS_NAMES: dict[int, str] = {v: k for k, v in BUILTIN_OPTIONS.items()}
BUILTIN_OPTIONS2: dict[str, int] = _enum("BuiltinOptions2")
BUILTIN_OPTIONS2_NAMES: dict[int, str] = {v: k for k, v in BUILTIN_OPTIONS2.items()}

PADDING: dict[str, int] = _enum("Padding")
ACTIVATIONS: dict[str, int] = _enum("ActivationFunctionType")

#: option fields stored as schema enums; the reader decodes them to their names
ENUM_FIELDS: dict[str, dict[str, int]] = {
    "padding": PADDING,
    "fused_activation_function": ACTIVATIONS,
}

#: ops whose options table is not named after the op (``CamelCase(op) + "Options"``)
_IRREGULAR_OPTIONS = {
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "BATCH_MATMUL": "BatchMatMulOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "PADV2": "PadV2Options",
    "LSH_PROJECTION": "LSHProjectionOptions",
    "SVDF": "SVDFOptions",
    "RNN": "RNNOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "LSTM": "LSTMOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "BidirectionalSequenceLSTMOptions",
    "BIDIRECTIONAL_SEQUENCE_RNN": "BidirectionalSequenceRNNOptions",
    "RANDOM_STANDARD_NORMAL": "RandomOptions",
    "RANDOM_UNIFORM": "RandomOptions",
    "MULTINOMIAL": "RandomOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions",
    "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "TOPK_V2": "TopKV2Options",
    "ATAN2": "ATan2Options",
    "LOGISTIC": None, "TANH": None, "RELU": None, "RELU6": None, "RELU_N1_TO_1": None,
}


def camel(snake: str) -> str:
    """``"fused_activation_function" -> "FusedActivationFunction"``; ``"CONV_2D" -> "Conv2D"``."""
    # a part starting with a digit ("2D") keeps its case
    return "".join(part.upper() if part[:1].isdigit() else part[:1].upper() + part[1:].lower()
                   for part in snake.split("_"))


def snake(camel_name: str) -> str:
    """``"FusedActivationFunction" -> "fused_activation_function"``, ``"StrideW" -> "stride_w"``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel_name).lower()


def options_type_for(op: str) -> str | None:
    """The BuiltinOptions table name the writer uses for ``op``, or None if it has none."""
    if op in _IRREGULAR_OPTIONS:
        return _IRREGULAR_OPTIONS[op]
    guess = camel(op) + "Options"
    return guess if guess in BUILTIN_OPTIONS else None

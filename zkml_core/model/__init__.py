"""The model IR (attrs), zkml's msgpack model/input files, and DAG execution."""

from zkml_core.model.context import ExecContext
from zkml_core.model.execute import (
    Execution,
    UnknownLayerError,
    build_layers,
    execute,
    execute_float,
    execute_int,
    live_layers,
    unknown_layers,
)
from zkml_core.model.files import (
    load_input,
    load_model,
    parse_input,
    parse_model,
    save_input,
    save_model,
)
from zkml_core.model.ir import LayerSpec, Model, Tensor

__all__ = [
    "ExecContext", "Execution", "LayerSpec", "Model", "Tensor", "UnknownLayerError",
    "build_layers", "execute", "execute_float", "execute_int", "live_layers", "load_input", "load_model",
    "parse_input", "parse_model", "save_input", "save_model", "unknown_layers",
]

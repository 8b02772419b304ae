"""The model IR (attrs), zkml's msgpack model/input files, and DAG execution.

- :mod:`~zkml_core.model.ir`: ``Model``, ``Tensor``, ``LayerSpec`` (zkml's keys and
  defaults);
- :mod:`~zkml_core.model.files`: ``load_model`` / ``load_input`` / ``save_model`` /
  ``save_input``, every malformed file a ``ModelError`` naming the file and the key;
- :mod:`~zkml_core.model.execute`: ``execute_int`` (the witness) and ``execute_float``
  (the reference) over ``{layer_type: Layer class}``, running the layers an output
  depends on, in file order;
- :mod:`~zkml_core.model.fixed_point`: round-half-up division and exact integer products;
- :mod:`~zkml_core.model.context`: ``ExecContext`` (sf, k, min_val, max_val, ...).
"""

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

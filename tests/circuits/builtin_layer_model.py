"""One-layer models of any built-in layer (several inputs and outputs), run under the
MockProver; the generic helpers (mock, forge_output, ...) are layer_model's.

``BUILTIN`` registers every module of ``zkml_plugins.layers`` and ``zkml_plugins.gadgets``
through its hooks (independent of installed entry points). :class:`AnyLayerCircuit` is
the :class:`ModelCircuit` of such a model with a ``tamper(circuit, asg)`` hook run after
synthesis in mock mode (``circuit.gadgets`` are the configured gadgets).
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import zkml_plugins.gadgets
import zkml_plugins.layers
from layer_model import F, LayerCircuit, bound_cells, cell_values, mock, output_rows

from zkml_core.model.circuit import ModelCircuit
from zkml_core.model.execute import execute_int
from zkml_core.model.ir import LayerSpec, Model, Tensor
from zkml_core.plugins import Registry


def _builtin() -> Registry:
    reg = Registry(autoload=False)
    for pkg in (zkml_plugins.layers, zkml_plugins.gadgets):
        for info in pkgutil.iter_modules(pkg.__path__):
            if not info.name.startswith("_"):
                reg.register(importlib.import_module(f"{pkg.__name__}.{info.name}"))
    return reg


BUILTIN = _builtin()
LAYERS = BUILTIN.layers()
GADGETS = BUILTIN.gadgets()


def one_layer(layer_type, params, operands, out_shapes, sf, *, n_inputs=1, k=10, num_cols=10,
              mask=()):
    """A model of one layer: ``operands[:n_inputs]`` are model inputs, the rest weights;
    the outputs are tensors ``len(operands)``, ... Returns ``(model, input tensors)``."""
    operands = [np.asarray(o, dtype=np.int64) for o in operands]
    tensors = [Tensor(idx=i, shape=o.shape, data=o.reshape(-1)) for i, o in enumerate(operands)]
    outs = list(range(len(operands), len(operands) + len(out_shapes)))
    spec = LayerSpec(layer_type=layer_type, params=list(params), inp_idxes=range(len(operands)),
                     inp_shapes=[o.shape for o in operands], out_idxes=outs,
                     out_shapes=[tuple(s) for s in out_shapes], mask=list(mask))
    model = Model(global_sf=sf, k=k, num_cols=num_cols, inp_idxes=range(n_inputs),
                  out_idxes=outs, tensors=tensors[n_inputs:], layers=[spec])
    return model, tensors[:n_inputs]


class AnyLayerCircuit(LayerCircuit):
    """layer_model's LayerCircuit (its tamper hook) over every built-in layer and gadget."""

    def __init__(self, model, inputs, *, tamper=None, **kw):
        ModelCircuit.__init__(self, model, LAYERS, GADGETS, inputs=inputs, **kw)
        self.tamper = tamper


def gadgets_laid_out(asg) -> set[str]:
    """The gadgets that laid out a region: a region carries its gadget's name (Freivalds'
    are freivalds_powers and freivalds_product)."""
    names = {r.name for r in asg.regions}
    return names | ({"freivalds"} if "freivalds_product" in names else set())


def check_honest(model, inputs, want, *, rows=None):
    """(a) ``execute_int`` gives ``want`` (one array per output), (b) the MockProver
    accepts, (c) the output cells and the public instance tail hold ``want``, (d) every
    gadget the layer lists lays out a region (the circuit refuses unlisted ones), (e) the
    layer uses ``rows`` rows when given. Returns (circuit, prover)."""
    got = execute_int(model, LAYERS, inputs).outputs
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    circuit = AnyLayerCircuit(model, inputs)
    inst = circuit.instances(F)
    prover = mock(circuit, inst)
    assert prover.verify() == []
    flat = np.concatenate([np.asarray(w, dtype=np.int64).reshape(-1) for w in want])
    out_rows = output_rows(circuit, inst)
    np.testing.assert_array_equal(cell_values(prover.asg, bound_cells(prover.asg, out_rows)),
                                  flat)
    tail = np.array([v if v <= F.p // 2 else v - F.p for v in (inst[0][r] for r in out_rows)],
                    dtype=np.int64)
    np.testing.assert_array_equal(tail, flat)
    listed = set(circuit.layers[0].gadgets(circuit.ctx))
    laid = gadgets_laid_out(prover.asg)
    assert listed <= laid, f"listed but not used: {listed - laid}"
    if rows is not None:
        assert circuit.layer_rows[0] == rows
    return circuit, prover


def changed_public_output_fails(circuit, delta=1) -> bool:
    """Whether the MockProver rejects the honest witness with one public output value
    changed by ``delta``."""
    inst = circuit.instances(F)
    row = output_rows(circuit, inst)[0]
    inst[0][row] = (inst[0][row] + delta) % F.p
    return mock(circuit, inst).verify() != []

"""Small in-memory zkml models around one (or a few) layers, run under the MockProver.

``layer_model`` builds a model whose first ``n_inputs`` layer operands are model inputs
(tensor idx 0, 1, ...) and the others stored weights; :class:`LayerCircuit` is the
:class:`ModelCircuit` of it with a ``tamper(circuit, asg)`` hook run after synthesis in
mock mode (``circuit.gadgets`` are the configured gadgets, for their ``last_cells``).
``mock`` runs the MockProver at ``k = max(rows needed, model.k)``.

The numpy references here (``conv_ref``, ``avg_pool_ref``, ``rhu``) are written from the
layer semantics (TensorFlow SAME padding, round half up), not from the plugin code: the
circuit tests compare the circuit's output cells against them.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
from gadget_circuit import add_to_cell

from zkml_core.arith.field import BN254_FR
from zkml_core.dev.mock import MockProver
from zkml_core.model.circuit import ModelCircuit
from zkml_core.model.context import ExecContext
from zkml_core.model.execute import execute_int
from zkml_core.model.ir import LayerSpec, Model, Tensor
from zkml_core.plonk.circuit import rows_needed
from zkml_core.plonk.layouter import Cells
from zkml_core.plugins import Registry

F = BN254_FR
LAYER_MODULES = ("add", "avg_pool_2d", "conv2d", "mul", "reshape", "sub")
GADGET_MODULES = ("input_lookup", "adder", "dot_product", "add_pairs", "sub_pairs",
                  "mul_pairs", "var_div_round", "bias_div_round_relu6", "relu", "freivalds")


def _registry() -> Registry:
    """The MNIST layers and their gadgets through their hooks (independent of installed
    entry points and of other plugins in progress)."""
    reg = Registry(autoload=False)
    for m in LAYER_MODULES:
        reg.register(importlib.import_module(f"zkml_plugins.layers.{m}"))
    for m in GADGET_MODULES:
        reg.register(importlib.import_module(f"zkml_plugins.gadgets.{m}"))
    return reg


REGISTRY = _registry()
LAYERS = REGISTRY.layers()
GADGETS = REGISTRY.gadgets()


def layer_model(layer_type, params, operands, out_shape, sf, *, n_inputs=1, k=10, num_cols=8):
    """A one-layer model: ``operands[:n_inputs]`` are model inputs, the rest weights.
    Returns ``(model, input tensors)``; the output is tensor ``len(operands)``."""
    operands = [np.asarray(o, dtype=np.int64) for o in operands]
    tensors = [Tensor(idx=i, shape=o.shape, data=o.reshape(-1)) for i, o in enumerate(operands)]
    out = len(operands)
    spec = LayerSpec(layer_type=layer_type, params=params, inp_idxes=range(out),
                     inp_shapes=[o.shape for o in operands], out_idxes=[out],
                     out_shapes=[tuple(out_shape)])
    model = Model(global_sf=sf, k=k, num_cols=num_cols, inp_idxes=range(n_inputs),
                  out_idxes=[out], tensors=tensors[n_inputs:], layers=[spec])
    return model, tensors[:n_inputs]


def layer_of(model, i=0):
    """The layer object of ``model.layers[i]`` and an execution context for it."""
    ctx = ExecContext(scale_factor=model.global_sf, k=model.k, num_cols=model.num_cols)
    return LAYERS[model.layers[i].layer_type](model.layers[i]), ctx


class LayerCircuit(ModelCircuit):
    def __init__(self, model, inputs, *, tamper=None, gadgets=None, **kw):
        super().__init__(model, LAYERS, gadgets or GADGETS, inputs=inputs, **kw)
        self.tamper = tamper

    def synthesize(self, layouter, cfg):
        self.gadgets = cfg[2]
        super().synthesize(layouter, cfg)
        if self.tamper is not None and layouter.asg.mode == "mock":
            self.tamper(self, layouter.asg)


def circuit_k(circuit) -> int:
    return max(rows_needed(circuit)[1], circuit.model.k)


def mock(circuit, instances=None) -> MockProver:
    """The MockProver of ``circuit`` with its honest instances unless others are given."""
    if instances is None:
        instances = circuit.instances(F)
    return MockProver(circuit, instances, k=circuit_k(circuit))


def output_rows(circuit, instances) -> np.ndarray:
    """Instance rows of the (public) outputs: the tail of the instance column."""
    size = sum(math.prod(spec_shape(circuit.model, i)) for i in circuit.model.out_idxes)
    n = len(instances[0])
    return np.arange(n - size, n)


def spec_shape(model, idx):
    for spec in model.layers:
        if idx in spec.out_idxes:
            return spec.out_shapes[list(spec.out_idxes).index(idx)]
    raise KeyError(idx)


def bound_cells(asg, rows) -> Cells:
    """The cells copied to the instance rows ``rows`` (in that order)."""
    inst = asg.gid(asg.cs.instance[0])
    ga, ra, gb, rb = (np.concatenate([c[i] for c in asg.copies]) for i in range(4))
    hits = np.flatnonzero(gb == inst)
    at = dict(zip(rb[hits].tolist(), hits.tolist(), strict=True))
    idx = np.array([at[int(r)] for r in rows], dtype=np.int64)
    return Cells(ga[idx], ra[idx])


def cell_values(asg, cells: Cells) -> np.ndarray:
    """Signed int values of ``cells`` in a synthesized assignment."""
    out = []
    for g, r in zip(cells.gids.reshape(-1), cells.rows.reshape(-1), strict=True):
        col = asg.column_values(asg.column_of(int(g)))
        out.append(F.to_signed_ints(col[int(r):int(r) + 1])[0])
    return np.array(out, dtype=np.int64).reshape(cells.shape)


def circuit_outputs(prover, circuit, instances):
    """The output cells' values in the MockProver's witness, shaped as the model output,
    and the public instance tail as signed ints."""
    rows = output_rows(circuit, instances)
    (out_idx,) = circuit.model.out_idxes
    shape = spec_shape(circuit.model, out_idx)
    cells = cell_values(prover.asg, bound_cells(prover.asg, rows)).reshape(shape)
    tail = [v if v <= F.p // 2 else v - F.p for v in (instances[0][r] for r in rows)]
    return cells, np.array(tail, dtype=np.int64).reshape(shape)


def forge_output(make_circuit, delta=1, more=None):
    """MockProver failures when the first output cell and its public value both change by
    ``delta`` (``more(circuit, asg)`` changes further cells): what a prover claiming
    another output would do. ``make_circuit(tamper)`` builds the LayerCircuit."""
    def tamper(circ, asg):
        add_to_cell(asg, bound_cells(asg, tamper.rows[:1]), delta)
        if more is not None:
            more(circ, asg)

    circuit = make_circuit(tamper)
    inst = circuit.instances(F)
    tamper.rows = output_rows(circuit, inst)
    inst[0][tamper.rows[0]] = (inst[0][tamper.rows[0]] + delta) % F.p
    return mock(circuit, inst).verify()


def check_honest(model, inputs, reals, bound, want):
    """The honest run: (a) |forward_int / sf - forward_float(reals)| <= ``bound`` (the
    model's one layer), (b) the MockProver accepts the circuit, (c) its output cells and
    the public instance tail equal ``want``. Returns the circuit."""
    sf = model.global_sf
    (ints,) = execute_int(model, LAYERS, inputs).outputs
    layer, ctx = layer_of(model)
    (floats,) = layer.forward_float(reals, ctx)
    assert np.abs(ints / sf - floats).max() <= bound + 1e-9
    circuit = LayerCircuit(model, inputs)
    inst = circuit.instances(F)
    prover = mock(circuit, inst)
    assert prover.verify() == []
    cells, tail = circuit_outputs(prover, circuit, inst)
    np.testing.assert_array_equal(cells, want)
    np.testing.assert_array_equal(tail, want)
    return circuit


def quantize(x, sf):
    """Real values to fixed point (nearest; |error| <= 0.5 / sf)."""
    return np.rint(np.asarray(x, dtype=np.float64) * sf).astype(np.int64)


# ---- independent references ----------------------------------------------------------------

def rhu(a, b):
    """round_half_up(a / b) = floor((2a + b) / 2b), elementwise, for b > 0."""
    return np.floor_divide(2 * np.asarray(a, dtype=np.int64) + b, 2 * b)


def activation_ref(x, act, sf):
    if act == 1:
        return np.maximum(x, 0)
    if act == 3:
        return np.minimum(np.maximum(x, 0), 6 * sf)
    return x


def out_size(size, kernel, stride, same):
    """Output length and padding before, TensorFlow's SAME or VALID."""
    if same:
        out = -(-size // stride)
        return out, max((out - 1) * stride + kernel - size, 0) // 2
    return (size - kernel) // stride + 1, 0


def conv_acc_ref(x, w, depthwise, same, strides):
    """The convolution sums (no rounding), [N, OH, OW, O]: one shifted slice of the
    zero-padded input per kernel offset."""
    n, h, wd, c = x.shape
    kh, kw = w.shape[1], w.shape[2]
    (oh, top), (ow, left) = (out_size(h, kh, strides[0], same),
                             out_size(wd, kw, strides[1], same))
    ph, pw = (oh - 1) * strides[0] + kh, (ow - 1) * strides[1] + kw
    xp = np.zeros((n, max(ph, top + h), max(pw, left + wd), c), dtype=np.int64)
    xp[:, top:top + h, left:left + wd] = x
    o = w.shape[3] if depthwise else w.shape[0]
    acc = np.zeros((n, oh, ow, o), dtype=np.int64)
    for a in range(kh):
        for b in range(kw):
            patch = xp[:, a:a + (oh - 1) * strides[0] + 1:strides[0],
                       b:b + (ow - 1) * strides[1] + 1:strides[1]]
            if depthwise:
                acc += np.repeat(patch, o // c, axis=3) * w[0, a, b]
            else:
                acc += np.einsum("nhwc,oc->nhwo", patch, w[:, a, b, :])
    return acc


def conv_ref(x, w, bias, depthwise, same, strides, act, sf):
    out = rhu(conv_acc_ref(x, w, depthwise, same, strides), sf)
    if bias is not None:
        out = out + bias
    return activation_ref(out, act, sf)


def avg_pool_ref(x, window, strides):
    n, h, w, c = x.shape
    (fh, fw), (sh, sw) = window, strides
    oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    total = np.zeros((n, oh, ow, c), dtype=np.int64)
    for a in range(fh):
        for b in range(fw):
            total += x[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw]
    return rhu(total, fh * fw)

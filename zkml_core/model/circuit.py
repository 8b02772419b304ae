"""A model as a Plonkish circuit: inputs, weights and outputs laid out and bound, layers
synthesized through their gadgets.

Layout (``configure``): ``num_cols`` shared advice columns, one instance column, the
constants column, and the gadgets every live layer names (``Layer.gadgets``), built from
the installed gadget plugins in name order. ``synthesize`` places the model inputs, the
weights, then runs each live layer's ``synthesize(inputs, ctx)`` (``ctx`` a
:class:`SynthContext`) in file order, and binds the outputs.

**What a proof binds** (:class:`Visibility`), per tensor group:

- ``public``: the values are instance values (the verifier sees them);
- ``hashed``: a hiding Poseidon commitment (packed values plus a private random blinding
  element, the ``commitment`` gadget) is the instance value;
- ``fixed`` (weights only): the values sit in the constants column, a fixed column
  committed in the verifying key, so a proof made with other weights needs another key;
- ``private``: not bound at all (the prover may use any values).

Defaults: input public, weights fixed, output public. Instance values are laid out in
one column in the order input, weights, output (each group's tensors in ``inp_idxes`` /
file / ``out_idxes`` order, flattened row-major; a hashed group is one value).

The circuit size: the range table of the gadgets follows the model's ``k`` (its values
live in ``[-2^(k-1), 2^(k-1) - 10]``, as in zkml), the circuit has ``2^circuit_k`` rows,
``circuit_k >= k``, enough for every row the layout uses (:func:`plan`).
"""

from __future__ import annotations

import math
import secrets
import warnings
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from zkml_core.errors import CircuitError, ModelError, ZkmlError
from zkml_core.model.context import ExecContext
from zkml_core.model.execute import build_layers, execute_int, layer_label, live_layers
from zkml_core.model.ir import Model, Tensor, same_shape
from zkml_core.plonk.gadgets import GadgetConfig, configure_gadgets, load_gadget_tables
from zkml_core.plonk.layouter import Assigned, Cells

VISIBILITIES = ("public", "hashed", "fixed", "private")
GROUPS = ("input", "weights", "output")
MAX_K = 26


class PrivateWeightsWarning(UserWarning):
    """The weights are not bound by the proof (visibility ``private``)."""


def _check_visibility(group: str, value: str) -> str:
    if value not in VISIBILITIES:
        raise CircuitError(f"{group} visibility must be one of {', '.join(VISIBILITIES)}, "
                           f"got {value!r}")
    if value == "fixed" and group != "weights":
        raise CircuitError(f"{group} visibility 'fixed' is for weights only (it bakes the "
                           "values into the verifying key); use public, hashed or private")
    return value


@attrs.frozen
class Visibility:
    """What the proof reveals or binds of each tensor group (see the module docstring)."""

    input: str = attrs.field(default="public",
                             validator=lambda _s, _a, v: _check_visibility("input", v))
    weights: str = attrs.field(default="fixed",
                               validator=lambda _s, _a, v: _check_visibility("weights", v))
    output: str = attrs.field(default="public",
                              validator=lambda _s, _a, v: _check_visibility("output", v))

    @classmethod
    def from_model(cls, model: Model, **overrides: str | None) -> Visibility:
        """zkml's ``commit_before`` (inputs/weights) and ``commit_after`` (outputs) groups map
        to ``hashed``; explicit ``overrides`` (None: keep) win."""
        base = {"input": "public", "weights": "fixed", "output": "public"}
        inputs = set(model.inp_idxes)
        for group in model.commit_before:
            if set(group) & inputs:
                base["input"] = "hashed"
            if set(group) - inputs:
                base["weights"] = "hashed"
        if model.commit_after:
            base["output"] = "hashed"
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def as_dict(self) -> dict[str, str]:
        return {"input": self.input, "weights": self.weights, "output": self.output}


@attrs.define(eq=False)
class SynthContext:
    """What a layer's ``synthesize`` gets besides its input cells."""

    layouter: Any
    gadgets: dict[str, Any]
    scale_factor: int
    k: int
    num_cols: int
    label: str = ""

    @property
    def min_val(self) -> int:
        return -(2 ** (self.k - 1))

    @property
    def max_val(self) -> int:
        return 2 ** (self.k - 1) - 10

    def gadget(self, name: str) -> Any:
        """The configured gadget ``name`` (list it in the layer's ``gadgets``)."""
        try:
            return self.gadgets[name]
        except KeyError:
            raise CircuitError(f"gadget {name!r} is not configured; the layer must list it "
                               "in gadgets()") from None

    def constant(self, values: Any) -> Assigned:
        """int64 ``values`` (any shape) as cells of the constants column."""
        values = np.asarray(values, dtype=np.int64)
        cells = self.layouter.constant(values.reshape(-1))
        return Assigned(cells.reshape(values.shape), values)

    def zeros(self, shape: tuple[int, ...]) -> Assigned:
        """A zero tensor: one constant cell broadcast to ``shape`` (padding, missing bias)."""
        zero = self.layouter.constant(np.zeros(1, dtype=np.int64))
        return broadcast_to(Assigned(zero, np.zeros(1, dtype=np.int64)), shape)


def broadcast_to(a: Assigned, shape: tuple[int, ...]) -> Assigned:
    """``a`` broadcast to ``shape`` (the cells repeat; copies of one cell are fine)."""
    extra = a.values.shape[a.cells.rows.ndim:]
    cells = Cells(np.broadcast_to(a.cells.gids, shape), np.broadcast_to(a.cells.rows, shape))
    return Assigned(cells, np.broadcast_to(a.values, tuple(shape) + extra))


def take(a: Assigned, index: np.ndarray) -> Assigned:
    """Cells and values at the flat positions ``index`` (any shape): im2col, transposes,
    gathers. Costs no rows: the result's cells are the same cells."""
    flat = np.asarray(index)
    g, r = a.cells.gids.reshape(-1), a.cells.rows.reshape(-1)
    extra = a.values.shape[a.cells.rows.ndim:]
    vals = a.values.reshape((-1,) + extra)
    return Assigned(Cells(g[flat], r[flat]), vals[flat])


def input_shapes(model: Model) -> dict[int, tuple[int, ...]]:
    """The shape of each model input, from the layers that read it."""
    shapes: dict[int, tuple[int, ...]] = {}
    for spec in model.layers:
        for idx, shape in zip(spec.inp_idxes, spec.inp_shapes, strict=True):
            if idx in model.inp_idxes and idx not in shapes:
                shapes[idx] = tuple(shape)
    for idx in model.inp_idxes:
        if idx not in shapes:
            raise ModelError(f"{model.source}: model input {idx} is read by no layer")
    return shapes


class ModelCircuit:
    """The circuit of ``model`` (with ``inputs``, an input file's tensors, for a witness).

    ``layer_classes`` / ``gadget_classes``: ``registry.layers()`` / ``registry.gadgets()``.
    Without ``inputs`` (keygen, measuring) the inputs are zeros of the right shapes.
    ``num_cols`` defaults to the model's. ``blinds`` are the hashed groups' blinding
    elements (fresh random ones by default).
    """

    def __init__(self, model: Model, layer_classes: Mapping[str, type],
                 gadget_classes: Mapping[str, type], *, inputs: list[Tensor] | None = None,
                 visibility: Visibility | None = None, num_cols: int | None = None,
                 field: Any = None, blinds: Mapping[str, int] | None = None) -> None:
        self.model = model
        self.layer_classes = layer_classes
        self.gadget_classes = gadget_classes
        self.visibility = visibility or Visibility.from_model(model)
        self.num_cols = int(num_cols or model.num_cols)
        if self.num_cols < 3:
            raise CircuitError(f"num_cols must be >= 3, got {self.num_cols}")
        self.field = field
        self.ctx = ExecContext(scale_factor=model.global_sf, k=model.k, num_cols=self.num_cols)
        self.layers = build_layers(model, layer_classes)
        self.live = live_layers(model, self.layers)
        self.input_shapes = input_shapes(model)
        self.inputs = self._input_values(inputs)
        self.blinds = dict(blinds or {})
        if self.visibility.weights == "private":
            warnings.warn("weights visibility 'private': the proof does not bind the weights; "
                          "any weights of the right shapes would prove", PrivateWeightsWarning,
                          stacklevel=2)
        self._expected: dict[int, np.ndarray] | None = None
        #: rows used by each live layer in the last measuring run (``plan``)
        self.layer_rows: dict[int, int] = {}

    # ---- values ----------------------------------------------------------------------
    def _input_values(self, inputs: list[Tensor] | None) -> dict[int, np.ndarray] | None:
        if inputs is None:
            return None
        given = {t.idx: t for t in inputs}
        out = {}
        for idx, shape in self.input_shapes.items():
            if idx not in given or given[idx].data is None:
                raise ModelError(f"the input file has no tensor with idx {idx} (the model's "
                                 f"inp_idxes are {list(self.model.inp_idxes)})")
            arr = given[idx].array()
            if not same_shape(arr.shape, shape):
                raise ModelError(f"input tensor {idx} has shape {list(arr.shape)} but the "
                                 f"model expects {list(shape)}")
            out[idx] = arr.reshape(shape)
        return out

    def weight_idxes(self) -> list[int]:
        """The model tensors with data that live layers read, in file order."""
        read = set()
        for spec, layer, alive in zip(self.model.layers, self.layers, self.live, strict=True):
            if alive:
                read.update(spec.inp_idxes[p] for p in layer.required_inputs())
        tmap = self.model.tensor_map()
        ordered = []
        for t in self.model.tensors:
            if t.idx in read and t.idx not in self.model.inp_idxes and t.data is not None \
                    and tmap[t.idx] is t and t.idx not in ordered:
                ordered.append(t.idx)
        return ordered

    def execute(self) -> dict[int, np.ndarray]:
        """The witness tensors by ``forward_int`` (independent of the gadgets)."""
        if self._expected is None:
            if self.inputs is None:
                raise CircuitError("the circuit has no input values (give inputs=...)")
            tensors = [Tensor(idx=i, shape=v.shape, data=v.reshape(-1))
                       for i, v in self.inputs.items()]
            self._expected = execute_int(self.model, self.layer_classes, inputs=tensors,
                                         ctx=self.ctx).tensors
        return self._expected

    def blind(self, group: str, field: Any) -> int:
        if group not in self.blinds:
            self.blinds[group] = secrets.randbelow(field.p)
        return self.blinds[group]

    def group_tensors(self, group: str) -> list[int]:
        if group == "input":
            return list(self.model.inp_idxes)
        if group == "weights":
            return self.weight_idxes()
        return list(self.model.out_idxes)

    def group_values(self, group: str) -> np.ndarray:
        """A group's values flattened in instance order (the weights need no inputs)."""
        values = self.execute() if group != "weights" else {}
        tmap = self.model.tensor_map()
        arrays = [values[i] if i in values else tmap[i].array()
                  for i in self.group_tensors(group)]
        return np.concatenate([a.reshape(-1) for a in arrays]) if arrays else \
            np.zeros(0, np.int64)

    def commitment(self, group: str, field: Any) -> int:
        """The hiding Poseidon commitment of a group's values with its blinding element."""
        gadget = self.gadget_classes["commitment"]()
        return int(gadget.native(field, self.group_values(group), self.blind(group, field),
                                 k=self.model.k))

    def instances(self, field: Any) -> list[list[int]]:
        """The instance column's values (field elements as ints) for this witness."""
        column: list[int] = []
        for group in GROUPS:
            vis = getattr(self.visibility, group)
            if vis == "public":
                column.extend(int(v) % field.p for v in self.group_values(group).tolist())
            elif vis == "hashed":
                column.append(self.commitment(group, field))
        return [column]

    # ---- circuit -----------------------------------------------------------------------
    def input_bounds(self) -> dict[int, tuple[int, int]]:
        """The code range of each quantised input (``zkml convert`` records their TFLite
        type): the circuit checks such inputs are codes of their type, else a committed
        or private input could be one no TFLite input is."""
        from zkml_core.convert.inputs import INPUT_QUANT_KEY, QRANGE

        quant = self.model.extra.get(INPUT_QUANT_KEY) or {}
        out = {}
        for idx in self.input_shapes:
            q = quant.get(str(idx))
            if q is not None and len(q) > 2 and q[2] in QRANGE:
                out[idx] = QRANGE[q[2]]
        return out

    def weight_bounds(self) -> dict[int, tuple[int, int]]:
        """The code range of each weight tensor stored as raw quantised codes, when the
        weights are not fixed (fixed ones are in the verifying key as they are): hashed
        or private int8 weights must be int8 codes too."""
        from zkml_core.convert.inputs import QRANGE, WEIGHT_TYPE_KEY

        if self.visibility.weights == "fixed":
            return {}
        types = self.model.extra.get(WEIGHT_TYPE_KEY) or {}
        return {idx: QRANGE[types[str(idx)]] for idx in self.weight_idxes()
                if types.get(str(idx)) in QRANGE}

    def gadget_names(self) -> list[str]:
        names = {"input_lookup"}
        if self.input_bounds() or self.weight_bounds():
            names.add("range_check")
        for layer, alive in zip(self.layers, self.live, strict=True):
            if alive:
                names.update(layer.gadgets(self.ctx))
        if "hashed" in self.visibility.as_dict().values():
            names.add("commitment")
        return sorted(names)

    def configure(self, cs: Any) -> Any:
        cols = [cs.advice_column() for _ in range(self.num_cols)]
        for c in cols:
            cs.enable_equality(c)
        instance = cs.instance_column("model")
        cs.enable_equality(instance)
        config = GadgetConfig(scale_factor=self.model.global_sf, k=self.model.k, columns=cols)
        if self.field is not None and hasattr(config, "field"):
            config.field = self.field
        config.constants(cs)
        gadgets = configure_gadgets(cs, config, self.gadget_names(), self.gadget_classes)
        return cols, instance, gadgets

    def synthesize(self, layouter: Any, cfg: Any) -> None:
        cols, instance, gadgets = cfg
        load_gadget_tables(layouter, gadgets)
        measuring = layouter.asg.mode == "measure"
        witness = layouter.asg.mode in ("witness", "mock")
        expected = self.execute() if witness else None
        ctx = SynthContext(layouter=layouter, gadgets=gadgets, scale_factor=self.model.global_sf,
                           k=self.model.k, num_cols=self.num_cols)
        field = layouter.field
        inst_row = 0
        tensors: dict[int, Assigned] = {}

        def bind(group: str, assigned: list[Assigned]) -> None:
            nonlocal inst_row
            vis = getattr(self.visibility, group)
            if vis not in ("public", "hashed") or not assigned:
                return
            cells = Cells.concat([a.cells.flatten() for a in assigned])
            if vis == "public":
                layouter.constrain_instance(cells, instance, np.arange(inst_row, inst_row + cells.size))
                inst_row += cells.size
                return
            values = np.concatenate([np.asarray(a.values, dtype=np.int64).reshape(-1)
                                     for a in assigned])
            if witness and field is not None:
                blind_value = field.from_ints([self.blind(group, field)])
            else:  # keygen / measuring: same layout, no secret
                blind_value = np.zeros((1, 4), dtype=np.uint64)
            blind = place_field(layouter, cols, blind_value)
            digest = gadgets["commitment"].assign(layouter, Assigned(cells, values), blind)
            layouter.constrain_instance(digest.cells, instance, [inst_row])
            inst_row += 1

        # inputs
        inputs = []
        for idx, shape in self.input_shapes.items():
            vals = self.inputs[idx] if (self.inputs is not None and not measuring) else \
                np.zeros(shape, np.int64)
            a = place(layouter, cols, vals, "model input")
            tensors[idx] = a
            inputs.append(a)
        for idx, (lo, hi) in self.input_bounds().items():
            gadgets["range_check"].assign(layouter, tensors[idx], lo, hi)
        bind("input", inputs)
        # weights
        tmap = self.model.tensor_map()
        weights = []
        for idx in self.weight_idxes():
            vals = tmap[idx].array()
            if self.visibility.weights == "fixed":
                a = ctx.constant(vals)
            else:
                a = place(layouter, cols, vals, "weights")
            tensors[idx] = a
            weights.append(a)
        for idx, (lo, hi) in self.weight_bounds().items():
            gadgets["range_check"].assign(layouter, tensors[idx], lo, hi)
        bind("weights", weights)
        # layers
        for i, (spec, layer) in enumerate(zip(self.model.layers, self.layers, strict=True)):
            if not self.live[i]:
                continue
            ctx.label = layer_label(self.model, i, spec)
            required = set(layer.required_inputs())
            args = [tensors.get(idx) if pos in required else None
                    for pos, idx in enumerate(spec.inp_idxes)]
            for pos in required:
                if args[pos] is None:
                    raise CircuitError(f"{ctx.label}: input tensor {spec.inp_idxes[pos]} is "
                                       "not available in the circuit")
            start = layouter.asg.rows_used
            try:
                outs = layer.synthesize(args, ctx)
            except ZkmlError as exc:
                raise type(exc)(f"{ctx.label}: {exc}") from exc
            self.layer_rows[i] = layouter.asg.rows_used - start
            if not isinstance(outs, (list, tuple)) or len(outs) != len(spec.out_idxes):
                raise CircuitError(f"{ctx.label}: synthesize returned {len(outs)} outputs, the "
                                   f"layer has {len(spec.out_idxes)}")
            for idx, out, shape in zip(spec.out_idxes, outs, spec.out_shapes, strict=True):
                if not isinstance(out, Assigned) or not same_shape(out.shape, shape):
                    got = getattr(out, "shape", type(out).__name__)
                    raise CircuitError(f"{ctx.label}: synthesize returned {got} for output "
                                       f"{idx}, expected cells of shape {list(shape)}")
                out = out.reshape(tuple(shape)) if tuple(out.shape) != tuple(shape) else out
                if expected is not None and not np.array_equal(
                        np.asarray(out.values).reshape(-1), expected[idx].reshape(-1)):
                    raise CircuitError(f"{ctx.label}: the circuit's values for tensor {idx} "
                                       "differ from the layer's forward_int; this is a bug in "
                                       "the layer plugin")
                tensors[idx] = out
        # outputs
        for idx in self.model.out_idxes:
            if idx not in tensors:  # an output that is a stored tensor, not a layer's
                tensors[idx] = ctx.constant(tmap[idx].array())
        bind("output", [tensors[i] for i in self.model.out_idxes])


def place(layouter: Any, cols: list, values: np.ndarray, name: str = "values") -> Assigned:
    """int64 ``values`` (any shape) in a region of their own, row-major over ``cols``."""
    values = np.asarray(values, dtype=np.int64)
    m, n = values.size, len(cols)
    rows = max(1, math.ceil(m / n))
    grid = np.zeros(rows * n, dtype=np.int64)
    grid[:m] = values.reshape(-1)
    with layouter.region(name) as region:
        cells = region.assign_advice(cols, 0, grid.reshape(rows, n))
    return Assigned(cells.flatten()[:m].reshape(values.shape), values)


def place_field(layouter: Any, cols: list, values: np.ndarray, name: str = "blinding") -> Assigned:
    """``(m, 4)`` field values in a region of their own (one column)."""
    with layouter.region(name) as region:
        cells = region.assign_advice(cols[0], 0, values)
    return Assigned(cells, values)

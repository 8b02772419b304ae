"""The three kinds of plugin contribution: Layer, Gadget and Backend.

A plugin's hook returns *classes*; each describes itself with class attributes
(``name``, ``description``, ...). The plugin manager validates them at registration
(:func:`validate_contribution`), so a malformed plugin fails with a message naming it
instead of breaking later in the middle of a proof.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from zkml_core.errors import PluginError

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class Layer:
    """One msgpack ``layer_type``: converter step, float reference, witness and circuit.

    A layer object is built from one layer entry of a model file (``spec``, a
    :class:`zkml_core.model.LayerSpec`) and checks its params in ``__init__``, raising
    :class:`zkml_core.errors.ModelError` on bad ones. ``ctx`` carries model-wide values
    (scale factor, k, ...): see :mod:`zkml_core.model`.
    """

    #: the msgpack ``layer_type`` string, e.g. ``"Conv2D"``
    name: ClassVar[str] = ""
    #: one line for ``zkml plugins``
    description: ClassVar[str] = ""
    #: TFLite builtin operator names this layer converts from, e.g. ``("CONV_2D",)``
    tflite_ops: ClassVar[tuple[str, ...]] = ()

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    @classmethod
    def from_tflite(cls, op: Any, ctx: Any) -> Any:
        """Converter step: one TFLite operator to a layer spec."""
        raise NotImplementedError(f"layer {cls.name} cannot be converted from TFLite")

    def forward_float(self, inputs: list, ctx: Any) -> list:
        """float64 reference semantics: numpy arrays in, numpy arrays out.

        ``inputs`` follow ``spec.inp_idxes`` (stored integers divided by the scale
        factor); the returned list follows ``spec.out_idxes`` with ``spec.out_shapes``.
        """
        raise NotImplementedError

    def forward_int(self, inputs: list, ctx: Any) -> list:
        """Exact fixed-point semantics (int64 arrays at the model's scale): the witness.

        Same order and shapes as :meth:`forward_float`; ``ctx`` is a
        :class:`zkml_core.model.ExecContext`. Returns int64 arrays.
        """
        raise NotImplementedError

    def required_inputs(self) -> list[int]:
        """Positions (in ``spec.inp_idxes``) of the inputs the layer reads.

        The others, e.g. TFLite's shape tensor of a Reshape, may be absent from the
        model (zkml's converter drops int64 tensors) and are passed as None.
        """
        return list(range(len(self.spec.inp_idxes)))

    def gadgets(self, ctx: Any) -> list[str]:
        """Names of the gadgets ``synthesize`` uses."""
        return []

    def synthesize(self, inputs: list, ctx: Any) -> list:
        """Lay out the layer's cells through its gadgets; returns the output tensors' cells."""
        raise NotImplementedError


class Gadget:
    """A reusable piece of circuit: gates, lookups and tables, assigned in batches.

    ``configure(cs, columns)`` declares the gadget's gates, lookups and tables on a
    :class:`zkml_core.plonk.constraint_system.ConstraintSystem`; ``columns`` are the
    shared advice columns (equality-enabled) the gadget lays its ops across. It keeps
    what it declared (selectors, table columns) on ``self``.

    Batched assignment: ``load_tables(layouter)`` fills the gadget's table columns once
    (``layouter.assign_table``), and ``assign(layouter, *operands) -> Assigned`` lays
    out a whole batch of ops in one region (or a few): each operand is a
    :class:`zkml_core.plonk.layouter.Assigned` (cells plus their int64 values, any
    shape), the gadget copies operand cells in with ``region.copy_advice``, computes
    the outputs with numpy, assigns them as arrays and returns them as ``Assigned``.
    One call per batch, never one Python call per cell. See
    :mod:`zkml_core.plonk.layouter` for regions, cells and copies.

    Gadgets of a model circuit are built with no arguments and configured with
    ``configure(cs, columns, config)``, ``config`` a
    :class:`zkml_core.plonk.gadgets.GadgetConfig` (scale factor, k, shared columns such
    as the range table); ``requires`` names the gadgets this one needs configured too.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: names of gadgets that must be configured alongside (e.g. ``("input_lookup",)``)
    requires: ClassVar[tuple[str, ...]] = ()

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        raise NotImplementedError

    def load_tables(self, layouter: Any) -> None:
        """Fill this gadget's lookup tables (default: it has none)."""

    def assign(self, layouter: Any, *operands: Any) -> Any:
        """Lay out a batch of ops; operands and result are ``Assigned`` arrays."""
        raise NotImplementedError


class Backend:
    """A polynomial commitment scheme with its curve: KZG on BN254, IPA on Pasta.

    The Plonkish prover and verifier never branch on the backend's name: everything
    scheme-specific (params, commitments, multi-point opening, point encoding) sits
    behind this class.

    The contract is ``docs/backend.md``. Field and point arrays are the engine's
    (``docs/arith.md``): scalars ``(n, 4)`` Montgomery arrays, points affine ``(n, 2, 4)``
    arrays (a single point is ``(1, 2, 4)``). Every method below must be overridden,
    except the verifier-params codec, whose default suits backends whose verifier
    params are the params.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: the circuit's scalar field, a :class:`zkml_core.arith.field.PrimeField`
    scalar_field: ClassVar[Any] = None
    #: the commitment curve, a :class:`zkml_core.arith.curve.Curve`
    curve: ClassVar[Any] = None
    #: True when ``setup`` draws a secret (KZG's tau): whoever knows it can forge proofs,
    #: so params made on one machine are only a test setup for anyone else
    trusted_setup: ClassVar[bool] = False

    def setup(self, k: int) -> Any:
        """New params for circuits of 2^k rows (``params.k == k``)."""
        raise NotImplementedError

    def params_to_bytes(self, params: Any) -> bytes:
        """The params in the backend's documented binary format (with a header)."""
        raise NotImplementedError

    def params_from_bytes(self, data: bytes) -> Any:
        """Decode and validate params; raises :class:`zkml_core.errors.SerializationError`."""
        raise NotImplementedError

    def commit(self, params: Any, coeffs: Any, blind: Any) -> Any:
        """Commitment ``(1, 2, 4)`` to the polynomial with ``(m, 4)`` coefficients, m <= 2^k.

        ``blind`` is a ``(1, 4)`` scalar (the Pedersen blinding for IPA; KZG ignores it).
        """
        raise NotImplementedError

    def commit_lagrange(self, params: Any, evals: Any, blind: Any) -> Any:
        """The same commitment, the polynomial given by its ``(2^k, 4)`` evaluations on the
        2^k domain (natural order)."""
        raise NotImplementedError

    def open(self, params: Any, transcript: Any, queries: list) -> None:
        """Write a multi-point opening proof of ``queries``
        (:class:`zkml_core.plonk.query.ProverQuery`) to the prover transcript."""
        raise NotImplementedError

    def verify(self, params: Any, transcript: Any, queries: list) -> bool:
        """Read the opening proof from the verifier transcript and check it against
        ``queries`` (:class:`zkml_core.plonk.query.VerifierQuery`, in the prover's order).

        Returns False for a proof that does not verify; malformed bytes raise
        :class:`zkml_core.errors.SerializationError` from the transcript.
        """
        raise NotImplementedError

    def verifier_params(self, params: Any) -> Any:
        """The part of ``params`` a verifier needs (:meth:`verify` accepts either)."""
        raise NotImplementedError

    def verifier_params_to_bytes(self, vparams: Any) -> bytes:
        """:meth:`verifier_params` in a documented binary format with a header (what a
        proof bundle carries). Default: :meth:`params_to_bytes`."""
        return self.params_to_bytes(vparams)

    def verifier_params_from_bytes(self, data: bytes) -> Any:
        """Decode and validate verifier params; raises
        :class:`zkml_core.errors.SerializationError`. Default: :meth:`params_from_bytes`."""
        return self.params_from_bytes(data)


KINDS: dict[str, type] = {"layer": Layer, "gadget": Gadget, "backend": Backend}


def validate_contribution(kind: str, obj: Any, origin: str) -> type:
    """Check that ``obj`` is a proper ``kind`` class; ``origin`` names the plugin in errors."""
    base = KINDS[kind]
    if not isinstance(obj, type):
        raise PluginError(
            f"plugin {origin}: zkml_register_{kind}s must return classes, got {obj!r}"
        )
    if not issubclass(obj, base):
        raise PluginError(
            f"plugin {origin}: {obj.__module__}.{obj.__qualname__} is not a "
            f"zkml_core.interfaces.{base.__name__} subclass"
        )
    name = getattr(obj, "name", "")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise PluginError(
            f"plugin {origin}: {kind} class {obj.__module__}.{obj.__qualname__} needs a "
            f"class attribute 'name' (letters, digits, '_', '.', '-'), got {name!r}"
        )
    return obj

"""Commitment: a hiding Poseidon commitment to a tensor, one field element.

Message layout (what :meth:`Commitment.assign` hashes in the circuit and
:func:`commit_native` outside it), for a tensor ``x`` of int64 values in the range
table ``[min_val, max_val]`` of ``GadgetConfig.k = b``:

1. ``x`` is flattened in C (row-major) order and packed by the ``packer`` gadget
   (:mod:`zkml_plugins.gadgets.packer`): ``E = ceil(x.size / n)`` elements of
   ``n = floor(253 / b)`` values, ``packed[e] = sum_i (x[e*n + i] - min_val) * 2^(b*i)``,
   the last element padded with ``min_val`` (shifted 0).
2. The message is ``[packed[0], .., packed[E-1], blind]``: the packed elements in order,
   then **one** blinding element, last. ``blind`` is a private witness cell (any field
   element; draw it uniformly at random for hiding). The original zkml appended the
   constant 0, which makes its commitments deterministic and so lets anyone test a guess
   of the tensor.
3. The commitment is the Poseidon sponge hash of that message with the parameter set of
   the circuit's field (:mod:`zkml_plugins.gadgets.poseidon`: width 3, rate 2; BN254 Fr
   for KZG, Pallas Fp for IPA, chosen by ``GadgetConfig.field``) in the
   ``ConstantLength<E + 1>`` domain: the capacity word starts at ``(E + 1) * 2^64`` and the
   message is zero-padded to an even number of words (:func:`.poseidon.native.hash_message`).

The result is one cell; a model circuit exposes it as an instance value. The tensor's
size and ``k`` are not hashed: they are fixed by the circuit (the verifying key), so two
circuits compare commitments only for tensors of the same size committed with the same
``k`` (``commit_after`` of one model and ``commit_before`` of the next).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from zkml_plugins.gadgets._ops import field_of, is_field
from zkml_plugins.gadgets.packer import pack_native
from zkml_plugins.gadgets.poseidon.native import hash_message
from zkml_plugins.gadgets.poseidon.params import field_name, poseidon_params

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned, Cells


def commit_native(field: Any, values: np.ndarray, blind: int, k: int) -> int:
    """The commitment to ``values`` with blinding ``blind`` (any int, reduced mod p) for a
    circuit over ``field`` (a ``PrimeField`` or a Poseidon field name) with range-table
    bits ``k``; equal to the in-circuit :meth:`Commitment.assign`."""
    params = poseidon_params(field_name(field))
    return hash_message(params, pack_native(values, k) + [blind % params.p])


class Commitment(Gadget):
    """``assign(layouter, x, blind) -> Assigned`` (one cell): see the module docstring."""

    name = "commitment"
    description = "hiding Poseidon commitment to a packed tensor with a private blinding cell"
    requires = ("packer", "poseidon", "input_lookup")

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        if config is None:
            raise CircuitError("gadget 'commitment' needs a GadgetConfig "
                               "(zkml_core.plonk.gadgets)")
        # packer and poseidon configure after this gadget (name order): look them up in assign
        self.config = config

    def assign(self, layouter: Any, x: Assigned, blind: Assigned) -> Assigned:
        """The commitment cell of ``x`` (any shape) blinded by the one-cell ``blind``."""
        if blind.cells.size != 1:
            raise CircuitError(f"the commitment's blinding is one cell, got {blind.cells.size}")
        packed = self.config.gadget("packer").assign(layouter, x)
        b = blind.reshape(1)
        bvals = b.values if is_field(b) else field_of(layouter, np.asarray(b.values, np.int64))
        message = Assigned(Cells.concat([packed.cells, b.cells]),
                           np.concatenate([packed.values, bvals.reshape(1, 4)]))
        return self.config.gadget("poseidon").assign(layouter, message)

    def native(self, field: Any, values: np.ndarray, blind: int, k: int | None = None) -> int:
        """:func:`commit_native` with this circuit's ``k`` (the public instance value of
        :meth:`assign`); ``field`` must be the circuit's field. An unconfigured gadget
        (built only to compute public values) needs ``k``, the circuit's range-table bits
        (``GadgetConfig.k``, a model's ``k``)."""
        config = getattr(self, "config", None)
        if config is None:
            if k is None:
                raise CircuitError("the commitment depends on the circuit's k (the packing's "
                                   "bits): pass k=GadgetConfig.k, or call native on the "
                                   "configured gadget")
            return commit_native(field, values, blind, k)
        if k is not None and k != config.k:
            raise CircuitError(f"the circuit packs with k = {config.k}, not {k}")
        poseidon = config.instances.get("poseidon")
        if poseidon is not None and poseidon.params.field != field_name(field):
            raise CircuitError(f"the circuit commits over {poseidon.params.field} but "
                               f"{field_name(field)} was asked for; pass the backend's "
                               "scalar_field")
        return commit_native(field, values, blind, config.k)


@hookimpl
def zkml_register_gadgets() -> list[type]:
    return [Commitment]

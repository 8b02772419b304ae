"""Poseidon hash (x^5, width 3, rate 2): Grain-LFSR constants, native hash, gadget.

- :mod:`.params`: parameter sets and constant generation.
- :mod:`.native`: the permutation and sponge over Python ints.
- :mod:`.batch`: the same over field arrays, many messages at once.
- :mod:`.rows`: rows of a permutation and the affine algebra of partial-round rows.
- :mod:`.gadget`: :class:`PoseidonGadget`, the sponge as custom gates.

Registered as the gadget ``poseidon``. Built by name (``PoseidonGadget()``), it takes its
parameter set from the circuit's ``GadgetConfig.field`` when configured (BN254 Fr when
that is None); ``PoseidonGadget("pallas")`` (or ``"vesta"``, ``"bn254"``) fixes the field.
"""

from __future__ import annotations

from zkml_plugins.gadgets.poseidon.gadget import PoseidonGadget

from zkml_core.hookspecs import hookimpl

__all__ = ["PoseidonGadget"]


@hookimpl
def zkml_register_gadgets() -> list[type]:
    return [PoseidonGadget]

"""What the gadget plugins of one circuit share: :class:`GadgetConfig`, and building them.

A model circuit makes **one** :class:`GadgetConfig` per :class:`ConstraintSystem`, inside
its ``configure``, and builds the gadgets its layers name::

    config = GadgetConfig(scale_factor=512, k=15, columns=advice_columns)
    gadgets = configure_gadgets(cs, config, ["var_div_round", "relu"], registry.gadgets())
    ...
    # in synthesize
    load_gadget_tables(layouter, gadgets)
    c = gadgets["var_div_round"].assign(layouter, a, 512)

Every gadget is built with no arguments and configured with
``gadget.configure(cs, config.columns, config)``. ``configure_gadgets`` adds the gadgets
a gadget ``requires`` (for instance ``input_lookup``, which owns and fills the range
table) and configures them in name order, so the circuit never depends on list order.

The built-in gadgets (``zkml_plugins.gadgets``) and their ``assign``; operands are
``Assigned`` (int64 fixed-point values; broadcast against each other), results too:

=======================  =============================================================
``adder``                ``(x)``: sums along the last axis, ``(..., L) -> (...)``
``dot_product``          ``(x, w)``: ``sum(x * w)`` along the last axis (field values ok)
``add_pairs`` ...        ``(a, b)``: ``a + b``; ``sub_pairs``, ``mul_pairs``,
                         ``squared_diff`` alike, ``square``: ``(x)``
``var_div_round``        ``(a, b)``: ``round_half_up(a / b)``; ``b`` an int (constant), a
                         one-cell ``Assigned``, or one cell per row of the last axis
``var_div_round_big3``   the same with divisors up to ``num_rows^3 / 2`` and quotients
                         up to ``min_val + num_rows^2 - 1`` (needs 10 columns)
``bias_div_round_relu6`` ``(acc, bias)``: ``(div, relu6)`` with ``div =
                         round_half_up(acc / sf) + bias``
``max``                  ``(x)``: maximum along the last axis
``requantize``           ``(acc, multiplier, shift, zero_point=, lo=, hi=, ...)``: TFLite's
                         int8 requantisation of int32 accumulators (double or single
                         rounding, clamped or raw), per-op constants in fixed columns
``rounded_average``      ``(x, count, lo, hi)``: ``clamp(round_half_away(x / count))``
``relu`` ``exp`` ...     ``(x)``: table lookups (``logistic``, ``tanh``, ``pow``,
                         ``sqrt``, ``rsqrt``; ``exp`` at scale sf^2, as softmax uses)
``input_lookup``         no ``assign``: fills the range table
``range_check``          ``(x, lo, hi)``: no output; ``lo <= x <= hi`` (quantised inputs)
``packer``               ``(x)``: ``floor(253 / k)`` range-checked values per field element
``poseidon``             ``(message)``: Poseidon hash of each row (field of ``config.field``)
``commitment``           ``(x, blind)``: one cell, Poseidon of ``packer(x)`` then the
                         blinding cell; ``native(field, values, blind)`` outside
=======================  =============================================================

Shared values follow zkml's ``GadgetConfig``: ``min_val = -2^(k-1)``,
``max_val = 2^(k-1) - 10``, ``num_rows = 2^k - 9``; the range table is
``T = {0 .. num_rows-1}`` and a value ``v`` is "in range" when ``v - min_val`` is in T,
i.e. ``min_val <= v <= max_val``. Shared columns (the range table, the constants column)
are made once, by whichever gadget asks first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from zkml_core.errors import CircuitError
from zkml_core.plonk.constraint_system import Column, ConstraintSystem


@attrs.define(eq=False)
class GadgetConfig:
    """Scale factor, k and shared columns of one circuit's gadgets.

    ``columns`` are the shared advice columns (equality is enabled on them by the
    gadgets); ``instances`` maps gadget names to the configured gadgets (filled by
    :func:`configure_gadgets`), so one gadget can use another.

    ``field`` is the circuit's scalar field (a :class:`zkml_core.arith.field.PrimeField`,
    i.e. ``backend.scalar_field``); gadgets whose constants depend on the field (Poseidon)
    read it in ``configure``. None means BN254 Fr, the KZG backend's field, so set it
    before configuring gadgets for any other backend.
    """

    scale_factor: int
    k: int
    columns: list[Column] = attrs.field(converter=list)
    instances: dict[str, Any] = attrs.field(factory=dict)
    field: Any = None
    _shared: dict[str, Column] = attrs.field(factory=dict, init=False)
    _cs: ConstraintSystem | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        if self.scale_factor < 1:
            raise CircuitError(f"the scale factor must be >= 1, got {self.scale_factor}")
        if self.k < 4:
            raise CircuitError(f"k must be >= 4 for the range table, got {self.k}")

    @property
    def num_cols(self) -> int:
        return len(self.columns)

    @property
    def min_val(self) -> int:
        return -(2 ** (self.k - 1))

    @property
    def max_val(self) -> int:
        return 2 ** (self.k - 1) - 10

    @property
    def num_rows(self) -> int:
        """Size of the range table T = {0 .. num_rows-1}."""
        return 2**self.k - 9

    def _bind(self, cs: ConstraintSystem) -> None:
        if self._cs is None:
            self._cs = cs
        elif self._cs is not cs:
            raise CircuitError("a GadgetConfig belongs to one ConstraintSystem: make a new "
                               "one in every configure(cs)")

    def shared_table(self, cs: ConstraintSystem, name: str) -> Column:
        """The table column ``name`` shared by every gadget (made on first request)."""
        self._bind(cs)
        if name not in self._shared:
            self._shared[name] = cs.table_column(name)
        return self._shared[name]

    def range_table(self, cs: ConstraintSystem) -> Column:
        """The range table T = {0 .. num_rows-1} (filled by the ``input_lookup`` gadget)."""
        return self.shared_table(cs, "range_table")

    def constants(self, cs: ConstraintSystem) -> Column:
        """The circuit's constants column (enabled on first request)."""
        self._bind(cs)
        if not cs.constants:
            cs.enable_constant(cs.fixed_column("constants"))
        return cs.constants[0]

    def for_columns(self, columns: list[Column]) -> GadgetConfig:
        """A config for gadgets on other columns (e.g. phase-1 columns of a Freivalds
        check) sharing this one's tables; configure its gadgets with
        :func:`configure_gadgets` as usual (its ``instances`` are its own)."""
        other = GadgetConfig(scale_factor=self.scale_factor, k=self.k, columns=columns,
                             field=self.field)
        other._shared, other._cs = self._shared, self._cs
        return other

    def gadget(self, name: str) -> Any:
        """The configured gadget ``name`` (list it in your gadget's ``requires``)."""
        try:
            return self.instances[name]
        except KeyError:
            raise CircuitError(f"gadget {name!r} is not configured in this circuit; add it to "
                               "the gadget's `requires` or the layer's gadgets()") from None


def gadget_closure(names: Iterable[str], classes: Mapping[str, type]) -> list[str]:
    """``names`` with every gadget they require, sorted; unknown names are an error."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in classes:
            raise CircuitError(f"no gadget named {name!r} is installed (installed: "
                               f"{', '.join(sorted(classes)) or 'none'}); see `zkml plugins`")
        seen.add(name)
        todo.extend(getattr(classes[name], "requires", ()))
    return sorted(seen)


def configure_gadgets(cs: ConstraintSystem, config: GadgetConfig, names: Iterable[str],
                      classes: Mapping[str, type]) -> dict[str, Any]:
    """Build and configure the gadgets ``names`` (and what they require) in name order."""
    config._bind(cs)
    for name in gadget_closure(names, classes):
        if name in config.instances:
            continue
        gadget = classes[name]()
        gadget.configure(cs, config.columns, config)
        config.instances[name] = gadget
    return dict(config.instances)


def load_gadget_tables(layouter: Any, gadgets: Mapping[str, Any]) -> None:
    """Fill every gadget's lookup tables (once per synthesis), in name order."""
    for name in sorted(gadgets):
        gadgets[name].load_tables(layouter)

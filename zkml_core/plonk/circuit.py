"""Running a circuit's ``configure`` and ``synthesize`` (see :mod:`zkml_core.plonk.layouter`)."""

from __future__ import annotations

from typing import Any

from zkml_core.errors import CircuitError
from zkml_core.plonk.constraint_system import ConstraintSystem
from zkml_core.plonk.layouter import Assignment, Layouter, to_field


def configure(circuit: Any) -> tuple[ConstraintSystem, Any]:
    """A fresh constraint system configured by ``circuit``, and the circuit's config."""
    cs = ConstraintSystem()
    config = circuit.configure(cs)
    return cs, config


def synthesize(
    circuit: Any,
    cs: ConstraintSystem,
    config: Any,
    field: Any,
    k: int,
    mode: str,
    *,
    phase: int | None = None,
    challenges: dict[int, int] | None = None,
    instances: list[Any] | None = None,
) -> Assignment:
    """Run ``circuit.synthesize`` once in ``mode`` and return the assignment."""
    asg = Assignment(cs, field, k, mode, phase=phase, challenges=challenges)
    if instances is not None:
        set_instances(asg, instances)
    circuit.synthesize(Layouter(asg), config)
    asg.finalize()
    return asg


def set_instances(asg: Assignment, instances: list[Any]) -> None:
    """Instance column values (one sequence of ints or field array per instance column)."""
    cs = asg.cs
    if len(instances) != len(cs.instance):
        raise CircuitError(
            f"the circuit has {len(cs.instance)} instance columns but {len(instances)} "
            "instance lists were given"
        )
    for col, vals in zip(cs.instance, instances, strict=True):
        f = to_field(asg.field, vals)
        if asg.usable is not None and f.shape[0] > asg.usable:
            raise CircuitError(
                f"{f.shape[0]} values for {col!r} but only {asg.usable} usable rows; increase k"
            )
        arr = asg.field.zeros(asg.n)
        arr[: f.shape[0]] = f
        asg.values[asg.gid(col)] = arr


def rows_needed(circuit: Any) -> tuple[int, int]:
    """(rows the layout uses, smallest k that fits it) without assigning any value."""
    cs, config = configure(circuit)
    asg = Assignment(cs, None, 0, "measure")
    circuit.synthesize(Layouter(asg), config)
    rows = max(asg.rows_used, asg.table_rows, asg.constant_rows, asg.instance_rows, 1)
    return rows, smallest_k(cs, rows)


def smallest_k(cs: ConstraintSystem, rows: int) -> int:
    """The smallest k whose 2^k rows hold ``rows`` usable rows of ``cs``."""
    k = 1
    while (1 << k) < cs.minimum_rows() or (1 << k) - cs.blinding_factors() - 1 < rows:
        k += 1
    return k

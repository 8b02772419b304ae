"""What prover and verifier agree on: transcript order, opened evaluations, constraints.

Transcript order (both sides):

1. the verifying-key digest, then every instance column's length and values;
2. per advice phase: the phase's advice commitments, then the challenges drawn after it;
3. θ (tuple compression); the lookup multiplicity commitments;
4. β_lookup, β, γ; the permutation grand products; per lookup group its helper columns
   and running sum;
5. the vanishing argument's random polynomial; y; the quotient pieces; x;
6. the evaluations of :func:`opening_plan`, in order; then the backend's opening proof.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from zkml_core.plonk.constraint_system import ADVICE, FIXED, INSTANCE, ConstraintSystem
from zkml_core.plonk.lookup import argument as lookup_argument
from zkml_core.plonk.permutation import argument as permutation_argument

PROOF_MAGIC = b"ZKMLPRF"
PROOF_VERSION = 1


def last_rotation(cs: ConstraintSystem) -> int:
    """The rotation from row 0 to the last row u."""
    return -(cs.blinding_factors() + 1)


def opening_plan(cs: ConstraintSystem) -> list[tuple[tuple, int]]:
    """Every (polynomial key, rotation) whose evaluation at x·ω^rotation the proof carries."""
    plan: list[tuple[tuple, int]] = []
    queries = cs.queries()
    for kind in (ADVICE, FIXED):
        for col, rots in queries.items():
            if col.kind == kind:
                plan += [(col.key, r) for r in rots]
    plan += [(("sigma", j), 0) for j in range(len(cs.equality))]
    nchunks = len(permutation_argument.chunks(cs))
    for c in range(nchunks):
        plan += [(("z", c), 0), (("z", c), 1)]
        if c < nchunks - 1:
            plan.append((("z", c), last_rotation(cs)))
    for g, group in enumerate(cs.lookup_groups()):
        plan.append((("m", g), 0))
        plan += [(("h", g, b), 0) for b in range(len(group.batches))]
        plan += [(("phi", g), 0), (("phi", g), 1)]
    plan.append((("random",), 0))
    return plan


def instance_plan(cs: ConstraintSystem) -> list[tuple[tuple, int]]:
    """Instance evaluations the verifier computes itself from the public values."""
    return [(col.key, r) for col, rots in cs.queries().items() if col.kind == INSTANCE for r in rots]


def committed_keys(cs: ConstraintSystem) -> dict[str, list[tuple]]:
    """Keys of the prover's commitments by stage, in transcript order."""
    groups = cs.lookup_groups()
    return {
        "m": [("m", g) for g in range(len(groups))],
        "z": [("z", c) for c in range(len(permutation_argument.chunks(cs)))],
        "lookup": [k for g, grp in enumerate(groups) for k in [("h", g, b) for b in range(len(grp.batches))] + [("phi", g)]],
    }


def all_constraints(ctx: Any, cs: ConstraintSystem, ch: dict[str, int]) -> Iterator:
    """Gates, then permutation, then lookup constraints, as values of ``ctx``."""
    for gate in cs.gates:
        for _, expr in gate.constraints:
            yield ctx.expr(expr)
    yield from permutation_argument.constraints(ctx, cs, ch["beta"], ch["gamma"], last_rotation(cs))
    yield from lookup_argument.constraints(ctx, cs, ch["theta"], ch["beta_lookup"])


def instance_ints(p: int, cs: ConstraintSystem, instances: list[Any]) -> list[list[int]]:
    from zkml_core.errors import CircuitError

    if len(instances) != len(cs.instance):
        raise CircuitError(
            f"the circuit has {len(cs.instance)} instance columns but {len(instances)} "
            "instance lists were given"
        )
    return [[int(v) % p for v in col] for col in instances]


def absorb_instances(transcript: Any, values: list[list[int]]) -> None:
    for col in values:
        transcript.common_scalar(len(col))
        for v in col:
            transcript.common_scalar(v)

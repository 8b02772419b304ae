"""``verify_proof``: replays the transcript, recomputes h(x) from the opened values and
hands the openings to the backend's multi-point verifier."""

from __future__ import annotations

import struct
from typing import Any

from zkml_core.errors import SerializationError
from zkml_core.plonk.evaluation import IntAlgebra, PointContext
from zkml_core.plonk.keys import VerifyingKey
from zkml_core.plonk.permutation.argument import delta
from zkml_core.plonk.protocol import (
    PROOF_MAGIC,
    PROOF_VERSION,
    absorb_instances,
    all_constraints,
    committed_keys,
    instance_ints,
    instance_plan,
    opening_plan,
)
from zkml_core.plonk.query import VerifierQuery
from zkml_core.plonk.transcript import VerifierTranscript
from zkml_core.plonk.vanishing.argument import fold


def verify_proof(backend: Any, params: Any, vk: VerifyingKey, proof: bytes, instances: list[Any]) -> bool:
    """True when ``proof`` shows the circuit of ``vk`` is satisfied with these public
    ``instances`` (one list of ints per instance column); False for any invalid proof.

    Raises CircuitError when ``instances`` does not match the circuit's instance columns."""
    try:
        return check_proof(backend, params, vk, proof, instances)
    except SerializationError:
        return False


def check_proof(backend: Any, params: Any, vk: VerifyingKey, proof: bytes, instances: list[Any]) -> bool:
    """:func:`verify_proof`, except that bytes which are not a well-formed proof (bad
    header or version, truncated, trailing or non-canonical bytes) raise
    SerializationError instead of returning False, so a caller can tell a damaged file
    from a proof that is false."""
    inst = instance_ints(vk.field.p, vk.cs, instances)
    if vk.backend_name != backend.name:
        return False
    head = len(PROOF_MAGIC) + 2
    if len(proof) < head or proof[: len(PROOF_MAGIC)] != PROOF_MAGIC:
        raise SerializationError("not a zkml proof (bad header)")
    (version,) = struct.unpack("<H", proof[len(PROOF_MAGIC) : head])
    if version != PROOF_VERSION:
        raise SerializationError(f"proof format version {version} is not supported (this zkml reads {PROOF_VERSION})")
    return _verify(backend, params, vk, proof[head:], inst)


def _verify(backend: Any, params: Any, vk: VerifyingKey, body: bytes, inst: list[list[int]]) -> bool:
    F, cs, dom = vk.field, vk.cs, vk.domain
    p, n = F.p, dom.n
    u = cs.usable_rows(vk.k)
    tr = VerifierTranscript(F, backend.curve, body)
    tr.common_bytes(vk.digest)
    absorb_instances(tr, inst)

    points: dict[tuple, Any] = {}
    challenges: dict[int, int] = {}
    for phase in range(cs.num_phases):
        for col in cs.advice:
            if col.phase == phase:
                points[col.key] = tr.read_point()
        for c in cs.challenges:
            if c.phase == phase:
                challenges[c.index] = tr.squeeze_challenge()
    ch = {"theta": tr.squeeze_challenge()}
    keys = committed_keys(cs)
    for key in keys["m"]:
        points[key] = tr.read_point()
    ch["beta_lookup"] = tr.squeeze_challenge()
    ch["beta"] = tr.squeeze_challenge()
    ch["gamma"] = tr.squeeze_challenge()
    for key in keys["z"] + keys["lookup"]:
        points[key] = tr.read_point()
    points[("random",)] = tr.read_point()
    ch["y"] = tr.squeeze_challenge()
    pieces = [tr.read_point() for _ in range(cs.quotient_pieces())]
    x = tr.squeeze_challenge()
    xn = pow(x, n, p)
    if xn == 1:
        return False

    plan = opening_plan(cs)
    evals = {kr: tr.read_scalar() for kr in plan}
    for key, rot in instance_plan(cs):
        evals[(key, rot)] = dom.evaluate_lagrange_values(inst[key[1]], dom.rotate(x, rot))
    ctx = PointContext(p, evals, challenges, delta=delta(F), p=p, **dom.row_values_at(x, u))
    folded = fold(IntAlgebra(p), all_constraints(ctx, cs, ch), ch["y"])
    h_eval = folded * pow(xn - 1, -1, p) % p

    queries = []
    for key, rot in plan:
        if key[0] == "fixed":
            point = vk.fixed_commitments[key[1] : key[1] + 1]
        elif key[0] == "sigma":
            point = vk.sigma_commitments[key[1] : key[1] + 1]
        else:
            point = points[key]
        queries.append(VerifierQuery(point=dom.rotate(x, rot), commitment=[(1, point)], eval=evals[(key, rot)]))
    h_comm = [(pow(xn, i, p), pt) for i, pt in enumerate(pieces)]
    queries.append(VerifierQuery(point=x, commitment=h_comm, eval=h_eval))
    ok = backend.verify(params, tr, queries)
    tr.finish()
    return bool(ok)

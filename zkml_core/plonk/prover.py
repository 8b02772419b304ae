"""``create_proof``: the Plonkish prover (transcript order in :mod:`zkml_core.plonk.protocol`).

Stages are explicit: every committed polynomial becomes a :class:`Committed` (Lagrange
values when it has them, coefficients, blind, commitment); after x the prover holds
:class:`Evaluated` openings, which become the backend's queries. Arrays are named by
basis (``_lag``, ``_coef``, ``_ext``; see :mod:`zkml_core.plonk.domain`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from zkml_core.arith import poly
from zkml_core.arith.threads import adapt_threads
from zkml_core.errors import CircuitError
from zkml_core.plonk.circuit import configure, synthesize
from zkml_core.plonk.evaluation import ArrayContext
from zkml_core.plonk.keys import ProvingKey
from zkml_core.plonk.lookup import prover as lookup_prover
from zkml_core.plonk.permutation import prover as permutation_prover
from zkml_core.plonk.permutation.argument import delta
from zkml_core.plonk.protocol import (
    PROOF_MAGIC,
    PROOF_VERSION,
    absorb_instances,
    all_constraints,
    committed_keys,
    instance_ints,
    opening_plan,
)
from zkml_core.plonk.query import ProverQuery
from zkml_core.plonk.transcript import ProverTranscript
from zkml_core.plonk.vanishing import prover as vanishing_prover
from zkml_core.plonk.vanishing.argument import fold


class Committed:
    """A polynomial the prover has committed to."""

    __slots__ = ("lag", "coef", "blind", "point")

    def __init__(self, lag: np.ndarray | None, coef: np.ndarray, blind: np.ndarray, point: Any) -> None:
        self.lag, self.coef, self.blind, self.point = lag, coef, blind, point


class Evaluated:
    """An opening: the committed polynomial, the point and its value there."""

    __slots__ = ("poly", "point", "value")

    def __init__(self, poly: Committed, point: int, value: int) -> None:
        self.poly, self.point, self.value = poly, point, value


class _Prover:
    def __init__(self, backend: Any, params: Any, pk: ProvingKey) -> None:
        self.backend, self.params, self.pk = backend, params, pk
        self.F = backend.scalar_field
        self.dom = pk.vk.domain
        self.transcript = ProverTranscript(self.F, backend.curve)
        self.polys: dict[tuple, Committed] = {}

    def commit_lag(self, key: tuple, values_lag: np.ndarray) -> None:
        blind = self.F.random(1)
        point = self.backend.commit_lagrange(self.params, values_lag, blind)
        self.transcript.write_point(point)
        self.polys[key] = Committed(values_lag, self.dom.lag_to_coef(values_lag), blind, point)

    def commit_coef(self, key: tuple, coef: np.ndarray) -> None:
        blind = self.F.random(1)
        point = self.backend.commit(self.params, coef, blind)
        self.transcript.write_point(point)
        self.polys[key] = Committed(None, coef, blind, point)


def create_proof(backend: Any, params: Any, pk: ProvingKey, circuit: Any, instances: list[Any], *,
                 check: bool = True, debug: bool = False,
                 progress: Callable[[str, int, int], None] | None = None) -> bytes:
    """Prove that ``circuit``'s witness satisfies the circuit with these public ``instances``
    (one list of ints per instance column). Returns the proof bytes (with a version header).

    ``debug`` first runs the MockProver and raises its report on a bad witness; ``check``
    (on by default, cheap) refuses when the quotient shows a violated constraint.
    ``progress(stage, done, total)`` is called as each stage starts (``done`` stages
    behind it), and once more with ``done == total`` at the end.
    """
    vk = pk.vk
    F, dom, cs = backend.scalar_field, vk.domain, vk.cs
    cs_now, config = configure(circuit)
    if cs_now.to_data() != cs.to_data():
        raise CircuitError("the circuit's configuration differs from the proving key's; run keygen again")
    k, n = vk.k, dom.n
    u = cs.usable_rows(k)
    inst = instance_ints(F.p, cs, instances)
    if debug:
        from zkml_core.dev.mock import MockProver

        MockProver(circuit, inst, k=k, field=F).assert_satisfied()

    stages = [f"advice phase {p + 1}" for p in range(cs.num_phases)] + [
        "lookup multiplicities", "permutation", "lookup sums", "quotient", "openings"]
    report = progress or (lambda stage, done, total: None)

    def stage(name: str) -> None:
        adapt_threads()  # other processes may have taken a core since the last stage
        report(name, stages.index(name), len(stages))

    pr = _Prover(backend, params, pk)
    tr = pr.transcript
    tr.common_bytes(vk.digest)
    absorb_instances(tr, inst)

    lag: dict[tuple, np.ndarray] = {}
    for i, v in enumerate(pk.fixed_lag):
        lag[("fixed", i)] = v
    challenges: dict[int, int] = {}
    for phase in range(cs.num_phases):
        stage(f"advice phase {phase + 1}")
        asg = synthesize(circuit, cs, config, F, k, "witness", phase=phase, challenges=challenges, instances=inst)
        if phase == 0:
            for col in cs.instance:
                lag[col.key] = asg.values[asg.gid(col)]
        for col in cs.advice:
            if col.phase != phase:
                continue
            vals = asg.values[asg.gid(col)]
            vals = F.zeros(n) if vals is None else vals.copy()
            vals[u:] = F.random(n - u)
            lag[col.key] = vals
            pr.commit_lag(col.key, vals)
        for c in cs.challenges:
            if c.phase == phase:
                challenges[c.index] = tr.squeeze_challenge()

    ch = {"theta": tr.squeeze_challenge()}
    ctx_lag = ArrayContext(F, lag.__getitem__, 1, challenges)
    keys = committed_keys(cs)
    stage("lookup multiplicities")
    m_lag = lookup_prover.multiplicity_columns(F, cs, ctx_lag, u, n)
    for key, m in zip(keys["m"], m_lag, strict=True):
        pr.commit_lag(key, m)
    ch["beta_lookup"] = tr.squeeze_challenge()
    ch["beta"] = tr.squeeze_challenge()
    ch["gamma"] = tr.squeeze_challenge()

    stage("permutation")
    zs = permutation_prover.grand_products(
        F, cs, [lag[c.key] for c in cs.equality], pk.sigma_lag, dom.omega_powers, ch["beta"], ch["gamma"], u
    )
    for key, z in zip(keys["z"], zs, strict=True):
        pr.commit_lag(key, z)
    stage("lookup sums")
    helpers, sums = lookup_prover.helpers_and_sums(F, cs, ctx_lag, m_lag, ch["theta"], ch["beta_lookup"], u, n)
    lookup_polys = [p for hs, phi in zip(helpers, sums, strict=True) for p in hs + [phi]]
    for key, v in zip(keys["lookup"], lookup_polys, strict=True):
        pr.commit_lag(key, v)
    pr.commit_coef(("random",), F.random(n))
    ch["y"] = tr.squeeze_challenge()

    # ---- quotient on the extended coset, a part (n points) at a time ----
    stage("quotient")
    coef_cache: dict[tuple, np.ndarray] = {}

    def coef(key: tuple) -> np.ndarray:
        if key[0] == "fixed":
            return pk.fixed_coef[key[1]]
        if key[0] == "sigma":
            return pk.sigma_coef[key[1]]
        if key in pr.polys:
            return pr.polys[key].coef
        if key not in coef_cache:  # instance columns are not committed
            coef_cache[key] = dom.lag_to_coef(lag[key])
        return coef_cache[key]

    folded_ext = np.empty((dom.N, 4), dtype=np.uint64)
    for j in range(dom.parts):
        part: dict[tuple, np.ndarray] = {}

        def values(key: tuple, j: int = j, part: dict = part) -> np.ndarray:
            if key not in part:
                part[key] = dom.coef_to_part(coef(key), j)
            return part[key]

        ctx = ArrayContext(F, values, 1, challenges, delta=delta(F), p=F.p,
                           **dom.row_polys_part(j, pk.row_coef))
        folded = fold(ctx.alg, all_constraints(ctx, cs, ch), ch["y"])
        folded_ext[j :: dom.parts] = np.broadcast_to(folded, (dom.n, 4))
        del part, values, ctx, folded  # values' defaults hold the part's arrays
    pieces = vanishing_prover.quotient_pieces(F, dom, folded_ext, cs.quotient_pieces(), check)
    del folded_ext
    for i, piece in enumerate(pieces):
        pr.commit_coef(("hpiece", i), piece)
    x = tr.squeeze_challenge()

    # ---- evaluations and openings ----
    stage("openings")
    openings: list[Evaluated] = []
    zero = F.zeros(1)
    for key, rot in opening_plan(cs):
        if key[0] == "fixed":
            committed = Committed(None, pk.fixed_coef[key[1]], zero, None)
        elif key[0] == "sigma":
            committed = Committed(None, pk.sigma_coef[key[1]], zero, None)
        else:
            committed = pr.polys[key]
        point = dom.rotate(x, rot)
        value = poly.evaluate(F, committed.coef, point)
        tr.write_scalar(value)
        openings.append(Evaluated(committed, point, value))
    # h = Σ x^{ni} h_i, with the matching combination of blinds
    xn = pow(x, n, F.p)
    h_coef, h_blind = pr.polys[("hpiece", 0)].coef, pr.polys[("hpiece", 0)].blind
    for i in range(1, len(pieces)):
        s = F.from_ints([pow(xn, i, F.p)])
        h_coef = F.add(h_coef, F.mul(pr.polys[("hpiece", i)].coef, s))
        h_blind = F.add(h_blind, F.mul(pr.polys[("hpiece", i)].blind, s))
    openings.append(Evaluated(Committed(None, h_coef, h_blind, None), x, poly.evaluate(F, h_coef, x)))
    queries = [ProverQuery(point=o.point, coeffs=o.poly.coef, blind=o.poly.blind, eval=o.value) for o in openings]
    backend.open(params, tr, queries)
    report("done", len(stages), len(stages))
    return PROOF_MAGIC + struct.pack("<H", PROOF_VERSION) + tr.proof_bytes()

"""Key generation: fixed columns and the permutation, committed into the verifying key."""

from __future__ import annotations

from typing import Any

from zkml_core.arith.threads import adapt_threads
from zkml_core.errors import CircuitError
from zkml_core.plonk.circuit import configure, synthesize
from zkml_core.plonk.domain import Domain
from zkml_core.plonk.keys import ProvingKey, VerifyingKey
from zkml_core.plonk.permutation.argument import build_sigma


def _fixed_and_sigma(backend: Any, params: Any, circuit: Any):
    adapt_threads()
    F = backend.scalar_field
    cs, config = configure(circuit)
    k = params.k
    asg = synthesize(circuit, cs, config, F, k, "keygen")
    fixed = [asg.values[asg.gid(c)] if asg.values[asg.gid(c)] is not None else F.zeros(asg.n) for c in cs.fixed]
    dom = Domain(F, k, cs.extended_k_extra())
    sigma = build_sigma(F, cs, asg, dom.omega_powers)
    return cs, fixed, sigma


def _commit_all(backend: Any, params: Any, polys: list) -> Any:
    import numpy as np

    F = backend.scalar_field
    if not polys:
        return np.zeros((0, 2, 4), dtype=np.uint64)
    return np.concatenate([backend.commit_lagrange(params, v, F.zeros(1)) for v in polys], axis=0)


def keygen_vk(backend: Any, params: Any, circuit: Any) -> VerifyingKey:
    """The verifying key of ``circuit`` at ``params.k`` rows (2^k)."""
    cs, fixed, sigma = _fixed_and_sigma(backend, params, circuit)
    return VerifyingKey(backend.name, backend.scalar_field, backend.curve, params.k, cs,
                        _commit_all(backend, params, fixed), _commit_all(backend, params, sigma))


def keygen_pk(backend: Any, params: Any, circuit: Any, vk: VerifyingKey | None = None) -> ProvingKey:
    """The proving key. Given ``vk`` (as halo2), its commitments are reused and only the
    circuit's shape is checked against it; without, the verifying key is made too."""
    cs, fixed, sigma = _fixed_and_sigma(backend, params, circuit)
    if vk is None:
        vk = VerifyingKey(backend.name, backend.scalar_field, backend.curve, params.k, cs,
                          _commit_all(backend, params, fixed), _commit_all(backend, params, sigma))
    elif vk.k != params.k or vk.cs.to_data() != cs.to_data():
        raise CircuitError("the circuit does not match this verifying key; run keygen again")
    return ProvingKey(vk, fixed, sigma)

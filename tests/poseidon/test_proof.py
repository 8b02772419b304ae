"""Real proofs: a circuit committing to a 100-element tensor with the Poseidon gadget
(the hash is the circuit's public value) verifies with KZG (BN254) and IPA (Pasta), and
fails when the public commitment is changed; the same for the hiding commitment gadget
(packed values, private blinding cell), built by name for the backend's field."""

from __future__ import annotations

import secrets

import numpy as np
import pytest
from commit_circuit import CommitCircuit
from zkml_plugins.backends.ipa import IPABackend
from zkml_plugins.backends.kzg import KZGBackend
from zkml_plugins.gadgets.poseidon.gadget import PoseidonGadget
from zkml_plugins.gadgets.poseidon.native import hash_message
from zkml_plugins.gadgets.poseidon.params import poseidon_params

from zkml_core.errors import VerificationError
from zkml_core.plonk.circuit import rows_needed
from zkml_core.plonk.keygen import keygen_pk, keygen_vk
from zkml_core.plonk.layouter import Assigned
from zkml_core.plonk.prover import create_proof
from zkml_core.plonk.verifier import verify_proof

N, COLUMNS = 100, 10


class TensorCommitment:
    """``values`` laid across the columns, hashed in-circuit, the hash as instance 0."""

    def __init__(self, field, values):
        self.gadget, self.values = PoseidonGadget(field), np.asarray(values, dtype=np.int64)

    def configure(self, cs):
        cols = [cs.advice_column() for _ in range(COLUMNS)]
        inst = cs.instance_column()
        cs.enable_equality(inst)
        self.gadget.configure(cs, cols)
        return cols, inst

    def synthesize(self, layouter, cfg):
        cols, inst = cfg
        grid = np.zeros(-(-len(self.values) // COLUMNS) * COLUMNS, dtype=np.int64)
        grid[: len(self.values)] = self.values
        with layouter.region("tensor") as region:
            cells = region.assign_advice(cols, 0, grid.reshape(-1, COLUMNS))
        out = self.gadget.assign(layouter, Assigned(cells.flatten()[: len(self.values)], self.values))
        layouter.constrain_instance(out.cells, inst, [0])


def rejects(backend, params, vk, proof, instances):
    try:
        return not verify_proof(backend, params, vk, proof, instances)
    except VerificationError:
        return True


@pytest.mark.slow
@pytest.mark.parametrize("backend_cls,field", [(KZGBackend, "bn254"), (IPABackend, "pallas")])
def test_commitment_proof_verifies_and_binds_the_public_hash(backend_cls, field):
    values = (np.arange(N) * 7919) % 4096 - 2048
    circuit = TensorCommitment(field, values)
    commitment = hash_message(poseidon_params(field), values.tolist())
    _, k = rows_needed(circuit)
    backend = backend_cls()
    params = backend.setup(k)
    vk = keygen_vk(backend, params, circuit)
    pk = keygen_pk(backend, params, circuit, vk)
    proof = create_proof(backend, params, pk, circuit, [[commitment]])
    assert verify_proof(backend, params, vk, proof, [[commitment]])
    assert rejects(backend, params, vk, proof, [[commitment + 1]])
    other = hash_message(poseidon_params(field), (values + 1).tolist())
    assert rejects(backend, params, vk, proof, [[other]])


@pytest.mark.slow
@pytest.mark.parametrize("backend_cls", [KZGBackend, IPABackend])
def test_blinded_packed_commitment_proof_verifies_and_binds_the_commitment(backend_cls):
    backend = backend_cls()
    F = backend.scalar_field
    values = (np.arange(N) * 37) % 247 - 128  # the range table of k = 8: [-128, 118]
    blind = secrets.randbelow(F.p)
    circuit = CommitCircuit(F, values, blind, k=8, num_cols=6)
    _, k = rows_needed(circuit)
    assert k == 8  # 100 values pack into 4 elements: the range table is the tallest part
    params = backend.setup(k)
    vk = keygen_vk(backend, params, circuit)
    pk = keygen_pk(backend, params, circuit, vk)
    native = circuit.gadgets["commitment"].native
    commitment = native(F, values, blind)
    proof = create_proof(backend, params, pk, circuit, [[commitment]])
    assert verify_proof(backend, params, vk, proof, [[commitment]])
    assert rejects(backend, params, vk, proof, [[commitment + 1]])
    assert rejects(backend, params, vk, proof, [[native(F, values, blind + 1)]])

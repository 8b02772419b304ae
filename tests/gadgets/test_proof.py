"""A real KZG proof of gadgets composed as a convolution's post-processing verifies
(the gadgets' gates, lookups and copies under the prover, not only the MockProver)."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit
from test_compose import conv_post

from zkml_core.plonk.keygen import keygen_pk, keygen_vk
from zkml_core.plonk.prover import create_proof
from zkml_core.plonk.verifier import verify_proof
from zkml_core.plugins import Registry

NAMES = ["dot_product", "bias_div_round_relu6", "relu"]


def circuit(bias):
    x = np.arange(12).reshape(3, 4) - 5
    w = np.arange(8).reshape(2, 4) - 3
    return GadgetCircuit(NAMES, conv_post, [x, w, np.array(bias)], sf=8, k=9, num_cols=7)


@pytest.mark.slow
def test_conv_post_processing_proof_verifies():
    backend = Registry(autoload=True, blocked=()).get("backend", "kzg")()
    params = backend.setup(9)
    vk = keygen_vk(backend, params, circuit([3, -4]))
    pk = keygen_pk(backend, params, circuit([3, -4]), vk)
    # keys made with one witness, the proof with other inputs: the layout is the same
    proof = create_proof(backend, params, pk, circuit([0, 9]), [])
    assert verify_proof(backend, params, vk, proof, [])

"""What the model circuit binds: the public input and output values, and the weights
(fixed: baked into the verifying key; public: instance values; private: nothing, with a
warning). Also a few-layer model (Conv2D relu6 -> AveragePool2D -> Reshape -> Mul -> Add
-> Sub) against a numpy reference chain."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from gadget_circuit import add_to_cell, kinds
from layer_model import (
    F,
    LayerCircuit,
    avg_pool_ref,
    circuit_k,
    circuit_outputs,
    conv_ref,
    layer_model,
    mock,
    output_rows,
    rhu,
)

from zkml_core.model.circuit import PrivateWeightsWarning, Visibility
from zkml_core.model.ir import LayerSpec, Model, Tensor
from zkml_core.plonk.keygen import keygen_vk

SF = 8
RNG = np.random.default_rng(3)
X4 = RNG.integers(-20, 20, (1, 4, 4, 2))
W_CONV = RNG.integers(-20, 20, (3, 2, 2, 2))
V = RNG.integers(-20, 20, (2, 3))
U = RNG.integers(-20, 20, (3,))

MODELS = {  # name -> (layer type, params, operands, output shape, model inputs)
    "Conv2D freivalds": ("Conv2D", [0, 0, 0, 1, 1], [X4, W_CONV, U], (1, 4, 4, 3), 1),
    "Conv2D direct": ("Conv2D", [0, 1, 3, 1, 1], [X4[:, :2, :2], W_CONV], (1, 1, 1, 3), 1),
    "Conv2D depthwise": ("Conv2D", [1, 1, 1, 2, 2], [X4, W_CONV[:1]], (1, 2, 2, 2), 1),
    "AveragePool2D": ("AveragePool2D", [2, 2, 1, 2], [X4], (1, 3, 2, 2), 1),
    "Add": ("Add", [0], [V, U], (2, 3), 2),
    "Sub": ("Sub", [], [V, U], (2, 3), 1),
    "Mul": ("Mul", [], [V, U], (2, 3), 1),
    "Reshape": ("Reshape", [], [V], (3, 2), 1),
}


def build(name, **kw):
    layer_type, params, ops, out, n_inputs = MODELS[name]
    model, inputs = layer_model(layer_type, params, ops, out, SF, n_inputs=n_inputs)
    return LayerCircuit(model, inputs, **kw)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("where", ["input", "output"])
def test_changed_public_value_is_rejected(name, where):
    circuit = build(name)
    assert ("freivalds" in circuit.gadget_names()) == ("freivalds" in name)
    inst = circuit.instances(F)
    assert mock(circuit, inst).verify() == []
    row = 0 if where == "input" else int(output_rows(circuit, inst)[-1])
    inst[0][row] = (inst[0][row] + 1) % F.p
    got = mock(circuit, inst).verify()
    assert {f.kind for f in got} == {"instance"} and len(got) == 1, got


def kzg():
    mod = importlib.import_module("zkml_plugins.backends.kzg")
    return next(c for c in mod.zkml_register_backends() if c.name == "kzg")()


def mul_circuit(weights, x=V, visibility=None):
    model, inputs = layer_model("Mul", [], [x, weights], (2, 3), SF)
    return LayerCircuit(model, inputs, visibility=visibility)


def test_fixed_weights_are_bound_by_the_verifying_key():
    """keygen of the same model with other weights gives another verifying key (the weights
    sit in a fixed column); other inputs do not change it; with private weights they
    are not bound at all (and a warning says so)."""
    backend = kzg()
    base = mul_circuit(U)
    params = backend.setup(circuit_k(base))
    digest = keygen_vk(backend, params, base).digest
    other_w = U.copy()
    other_w[1] += 1
    assert keygen_vk(backend, params, mul_circuit(other_w)).digest != digest
    assert keygen_vk(backend, params, mul_circuit(U, x=V + 3)).digest == digest
    private = Visibility(weights="private")
    with pytest.warns(PrivateWeightsWarning):
        a, b = mul_circuit(U, visibility=private), mul_circuit(other_w, visibility=private)
    assert keygen_vk(backend, params, a).digest == keygen_vk(backend, params, b).digest


def test_public_weights_are_instance_values():
    circuit = mul_circuit(U, visibility=Visibility(weights="public"))
    inst = circuit.instances(F)
    assert len(inst[0]) == V.size + U.size + V.size
    assert [v if v < F.p // 2 else v - F.p for v in inst[0][V.size:V.size + U.size]] == U.tolist()
    assert mock(circuit, inst).verify() == []
    inst[0][V.size + 1] = (inst[0][V.size + 1] + 1) % F.p
    assert {f.kind for f in mock(circuit, inst).verify()} == {"instance"}


# ---- a few layers ----------------------------------------------------------------------------

X5 = RNG.integers(-16, 16, (1, 5, 5, 2))
W5 = RNG.integers(-16, 16, (4, 3, 3, 2))
B5 = RNG.integers(-16, 16, (4,))
SCALE = RNG.integers(-16, 16, (4,))
Y = RNG.integers(-16, 16, (2, 4))


def chain_model():
    """x [1,5,5,2] -Conv2D SAME relu6-> [1,5,5,4] -AveragePool2D 2x2/2-> [1,2,2,4]
    -Reshape-> p [2,2,4] -Mul scale [4] (weights)-> -Add relu y [2,4] (a second model
    input, broadcast)-> -Sub p-> [2,2,4]."""
    t = [Tensor(idx=1, shape=W5.shape, data=W5.reshape(-1)),
         Tensor(idx=2, shape=B5.shape, data=B5.reshape(-1)),
         Tensor(idx=3, shape=SCALE.shape, data=SCALE.reshape(-1))]
    layers = [
        LayerSpec(layer_type="Conv2D", params=[0, 0, 3, 1, 1], inp_idxes=[0, 1, 2],
                  inp_shapes=[X5.shape, W5.shape, B5.shape], out_idxes=[10],
                  out_shapes=[(1, 5, 5, 4)]),
        LayerSpec(layer_type="AveragePool2D", params=[2, 2, 2, 2], inp_idxes=[10],
                  inp_shapes=[(1, 5, 5, 4)], out_idxes=[11], out_shapes=[(1, 2, 2, 4)]),
        LayerSpec(layer_type="Reshape", params=[], inp_idxes=[11], inp_shapes=[(1, 2, 2, 4)],
                  out_idxes=[12], out_shapes=[(2, 2, 4)]),
        LayerSpec(layer_type="Mul", params=[], inp_idxes=[12, 3],
                  inp_shapes=[(2, 2, 4), SCALE.shape], out_idxes=[13], out_shapes=[(2, 2, 4)]),
        LayerSpec(layer_type="Add", params=[1], inp_idxes=[13, 4],
                  inp_shapes=[(2, 2, 4), Y.shape], out_idxes=[14], out_shapes=[(2, 2, 4)]),
        LayerSpec(layer_type="Sub", params=[], inp_idxes=[14, 12],
                  inp_shapes=[(2, 2, 4), (2, 2, 4)], out_idxes=[15], out_shapes=[(2, 2, 4)]),
    ]
    model = Model(global_sf=SF, k=10, num_cols=7, inp_idxes=[0, 4], out_idxes=[15], tensors=t,
                  layers=layers)
    inputs = [Tensor(idx=0, shape=X5.shape, data=X5.reshape(-1)),
              Tensor(idx=4, shape=Y.shape, data=Y.reshape(-1))]
    return model, inputs


def chain_ref():
    conv = conv_ref(X5, W5, B5, False, True, (1, 1), 3, SF)
    pooled = avg_pool_ref(conv, (2, 2), (2, 2)).reshape(2, 2, 4)
    return np.maximum(rhu(pooled * SCALE, SF) + Y, 0) - pooled


def test_few_layer_model():
    model, inputs = chain_model()
    circuit = LayerCircuit(model, inputs)
    assert "freivalds" in circuit.gadget_names()
    inst = circuit.instances(F)
    prover = mock(circuit, inst)
    assert prover.verify() == []
    cells, tail = circuit_outputs(prover, circuit, inst)
    np.testing.assert_array_equal(cells, chain_ref())
    np.testing.assert_array_equal(tail, chain_ref())


@pytest.mark.parametrize("gadget,cell,expect", [
    ("var_div_round", (0, 1), ("gate", "var_div_round constraint op0")),  # Mul quotient
    ("bias_div_round_relu6", (5, 3), ("gate", "bias_div_round_relu6")),     # conv remainder
    ("add_pairs", (0, 2), ("gate", "add_pairs constraint op0")),
])
def test_few_layer_model_changed_intermediate_is_rejected(gadget, cell, expect):
    """A changed cell inside the chain (not the output): its gadget's gate rejects it.
    Mul runs after the pool, so ``var_div_round.last_cells`` is Mul's division."""
    def tamper(circ, asg):
        add_to_cell(asg, circ.gadgets[gadget].last_cells[cell], 1)

    model, inputs = chain_model()
    assert expect in kinds(mock(LayerCircuit(model, inputs, tamper=tamper)).verify())

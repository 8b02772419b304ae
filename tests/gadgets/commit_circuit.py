"""Tiny circuits around the packer and commitment gadgets, with public outputs.

``PackCircuit(field, values)`` packs ``values`` and exposes the packed elements as
instance rows ``0 ..``; ``CommitCircuit(field, values, blind)`` commits to ``values`` and
exposes the commitment as instance row 0. Both build the gadgets by name with a
``GadgetConfig`` whose ``field`` is the circuit's, as a model circuit does;
``tamper(circuit, asg)`` runs after a mock synthesis.
"""

from __future__ import annotations

import importlib

import numpy as np
from gadget_circuit import place

from zkml_core.dev.mock import MockProver
from zkml_core.plonk.circuit import rows_needed
from zkml_core.plonk.gadgets import GadgetConfig, configure_gadgets, load_gadget_tables
from zkml_core.plonk.layouter import Assigned
from zkml_core.plugins import Registry


def commitment_classes() -> dict[str, type]:
    reg = Registry(autoload=False)
    for m in ("input_lookup", "packer", "poseidon", "commitment"):
        reg.register(importlib.import_module(f"zkml_plugins.gadgets.{m}"))
    return reg.gadgets()


CLASSES = commitment_classes()


class PackCircuit:
    gadget = "packer"

    def __init__(self, field, values, k=8, num_cols=6, tamper=None):
        self.field, self.values = field, np.asarray(values, dtype=np.int64)
        self.k, self.num_cols, self.tamper = k, num_cols, tamper

    def configure(self, cs):
        cols = [cs.advice_column() for _ in range(self.num_cols)]
        inst = cs.instance_column()
        cs.enable_equality(inst)
        self.config = GadgetConfig(scale_factor=1, k=self.k, columns=cols, field=self.field)
        return configure_gadgets(cs, self.config, [self.gadget], CLASSES), cols, inst

    def synthesize(self, layouter, cfg):
        gadgets, cols, inst = cfg
        load_gadget_tables(layouter, gadgets)
        self.gadgets = gadgets
        self.x = place(layouter, cols, self.values)
        self.out = self.call(layouter, cols)
        layouter.constrain_instance(self.out.cells, inst, np.arange(self.out.cells.size))
        if self.tamper is not None and layouter.asg.mode == "mock":
            self.tamper(self, layouter.asg)

    def call(self, layouter, cols):
        return self.gadgets["packer"].assign(layouter, self.x)

    def mock(self, instances):
        _, k = rows_needed(self)
        return MockProver(self, [instances], k=k, field=self.field)


class CommitCircuit(PackCircuit):
    gadget = "commitment"

    def __init__(self, field, values, blind, **kw):
        super().__init__(field, values, **kw)
        self.blind = blind

    def call(self, layouter, cols):
        with layouter.region("blind") as region:  # a private witness cell, any field element
            cells = region.assign_advice(cols[0], 0, [self.blind])
        F = layouter.field
        values = F.from_ints([self.blind]) if F is not None else np.zeros((1, 4), np.uint64)
        self.blind_cell = Assigned(cells, values)
        return self.gadgets["commitment"].assign(layouter, self.x, self.blind_cell)

"""InputLookup: owns the range table T = {0 .. num_rows-1} every range check uses.

The column is the config's shared ``range_table``; gadgets that look values up in it
list ``input_lookup`` in ``requires`` so that this gadget fills it (once per synthesis).
"""

from __future__ import annotations

import numpy as np

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Gadget


class InputLookup(Gadget):
    name = "input_lookup"
    description = "the range table T = {0 .. 2^k - 10} shared by every range check"

    def configure(self, cs, columns, config=None):
        if config is None:
            raise CircuitError("gadget 'input_lookup' needs a GadgetConfig (zkml_core.plonk.gadgets)")
        self.config = config
        self.table = config.range_table(cs)

    def load_tables(self, layouter):
        layouter.assign_table(self.table, np.arange(self.config.num_rows, dtype=np.int64))

    def assign(self, layouter, *operands):
        raise CircuitError("input_lookup only holds the range table; range checks are made "
                           "by the gadgets that use it")


@hookimpl
def zkml_register_gadgets():
    return [InputLookup]

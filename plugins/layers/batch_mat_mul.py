"""BatchMatMul: per-batch matrix product rescaled, round_half_up(A_b B_b / sf).

params = [adj_x, adj_y]; adj_x must be 0 (zkml's converter never sets it); adj_y = 1
multiplies by B_b transposed. Both inputs are 3-D with the same batch.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import check_product_fits, div_round_half_up, exact_matmul


class BatchMatMul(BuiltinLayer):
    name = "BatchMatMul"
    description = "batched matrix product of two 3-D tensors, rescaled"
    tflite_ops = ("BATCH_MATMUL",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        adj_x, adj_y = expect_params(spec, 2, "adj_x, adj_y")
        expect_inputs(spec, (2,), "a, b")
        if adj_x != 0 or adj_y not in (0, 1):
            raise ModelError(f"adj_x must be 0 and adj_y 0 or 1, got {adj_x}, {adj_y}")
        self.adj_y = adj_y == 1
        a, b = spec.inp_shapes
        if len(a) != 3 or len(b) != 3 or a[0] != b[0]:
            raise ModelError(f"inputs must be 3-D with one batch size, got {list(a)}, {list(b)}")
        inner = b[2] if self.adj_y else b[1]
        if a[2] != inner:
            raise ModelError(f"inner dimensions differ: {list(a)} x {list(b)}"
                             f"{' (adj_y)' if self.adj_y else ''}")

    @classmethod
    def from_tflite(cls, op, ctx):
        if op.options.get("adj_x", False):
            raise ctx.unsupported(op, "adj_x")
        if any(len(ctx.shape(i)) != 3 for i in op.inputs[:2]):
            raise ctx.unsupported(op, "inputs that are not 3-D")
        return ctx.layer("BatchMatMul", op, [0, int(bool(op.options.get("adj_y", False)))])

    def _operands(self, inputs):
        a, b = inputs
        return a, (np.swapaxes(b, 1, 2) if self.adj_y else b)

    def forward_int(self, inputs, ctx):
        a, b = self._operands(inputs)
        check_product_fits("BatchMatMul", a, b, a.shape[2])
        return [div_round_half_up(exact_matmul(a, b), ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        a, b = self._operands(inputs)
        return [np.matmul(a, b)]

    def gadgets(self, ctx):
        return ["dot_product", "adder", "var_div_round"]


@hookimpl
def zkml_register_layers():
    return [BatchMatMul]

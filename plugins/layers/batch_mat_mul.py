"""BatchMatMul: per-batch matrix product rescaled, round_half_up(A_b B_b / sf).

params = [adj_x, adj_y]; adj_x must be 0 (zkml's converter never sets it); adj_y = 1
multiplies by B_b transposed. Both inputs are 3-D with the same batch.

Circuit: each batch's product by Freivalds' check when that is cheaper, else one batch of
dot products; then a rounded division by the constant sf (``var_div_round``).
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import (
    BuiltinLayer,
    expect_inputs,
    expect_params,
    flat_join,
    freivalds_cheaper,
)

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take
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

    def _dims(self) -> tuple[int, int, int, int]:
        """(batch, M, K, N) of the products."""
        (bsz, m, kdim), b = self.spec.inp_shapes
        return bsz, m, kdim, (b[1] if self.adj_y else b[2])

    def gadgets(self, ctx):
        _, m, kdim, n = self._dims()
        return ["freivalds" if freivalds_cheaper(m, kdim, n) else "dot_product", "var_div_round"]

    def synthesize(self, inputs, ctx):
        lay = ctx.layouter
        a, b = inputs
        bsz, m, kdim, n = self._dims()
        idx = np.arange(b.cells.size).reshape(b.shape)
        if freivalds_cheaper(m, kdim, n):
            right = idx if not self.adj_y else np.swapaxes(idx, 1, 2)      # [B, K, N]
            # one check per batch (a batch is a handful of heads, not a per-cell loop)
            prods = [ctx.gadget("freivalds").matmul(lay, a[i], take(b, right[i]))
                     for i in range(bsz)]
            acc = flat_join(prods).reshape(bsz, m, n)
        else:
            rows = idx if self.adj_y else np.swapaxes(idx, 1, 2)            # [B, N, K]
            acc = ctx.gadget("dot_product").assign(lay, a.reshape(bsz, m, 1, kdim),
                                                   take(b, rows[:, None]))
        return [ctx.gadget("var_div_round").assign(lay, acc, ctx.scale_factor)]


@hookimpl
def zkml_register_layers():
    return [BatchMatMul]

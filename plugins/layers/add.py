"""Add: elementwise a + b with numpy-style broadcasting, optional fused relu (exact).

params = [activation] (0 none, 1 relu). Both operands are at scale sf, so the sum is too.
"""

from __future__ import annotations

from zkml_plugins.layers._common import (
    ACT_NONE,
    ACT_RELU,
    BuiltinLayer,
    activate_float,
    activate_int,
    check_activation,
    expect_inputs,
    expect_params,
)
from zkml_plugins.layers._mask import mask_params, neg_inf_mask

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast


class Add(BuiltinLayer):
    name = "Add"
    description = "elementwise a + b (broadcasting), optional relu"
    tflite_ops = ("ADD",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        (act,) = expect_params(spec, 1, "activation")
        expect_inputs(spec, (2,), "a, b")
        self.activation = check_activation(act, (ACT_NONE, ACT_RELU))

    @classmethod
    def from_tflite(cls, op, ctx):
        """ADD; adding a constant of -inf and 0 is zkml's mask idiom: a MaskNegInf layer."""
        masked = neg_inf_mask(ctx, op)
        if masked is not None:
            ctx.activation(op, ("NONE",))
            data, mask = masked
            return ctx.layer("MaskNegInf", op, mask_params(mask), inputs=[data])
        return ctx.layer("Add", op, [ctx.activation(op, ("NONE", "RELU"))])

    def forward_int(self, inputs, ctx):
        a, b = broadcast("Add", *inputs)
        return [activate_int(a + b, self.activation, ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        a, b = broadcast("Add", *inputs)
        return [activate_float(a + b, self.activation)]

    def gadgets(self, ctx):
        return ["add_pairs"] + (["relu"] if self.activation == ACT_RELU else [])

    def synthesize(self, inputs, ctx):
        out = ctx.gadget("add_pairs").assign(ctx.layouter, inputs[0], inputs[1])
        if self.activation == ACT_RELU:
            out = ctx.gadget("relu").assign(ctx.layouter, out)
        return [out]


@hookimpl
def zkml_register_layers():
    return [Add]

"""Sub: elementwise a - b with numpy-style broadcasting (exact). params = []."""

from __future__ import annotations

from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params
from zkml_plugins.layers._mask import mask_params, neg_inf_mask

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast


class Sub(BuiltinLayer):
    name = "Sub"
    description = "elementwise a - b (broadcasting)"
    tflite_ops = ("SUB",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (2,), "a, b")

    @classmethod
    def from_tflite(cls, op, ctx):
        """SUB; subtracting a constant holding 10000 at masked cells is zkml's mask idiom
        (a MaskNegInf layer)."""
        ctx.activation(op, ("NONE",))
        masked = neg_inf_mask(ctx, op)
        if masked is not None:
            data, mask = masked
            return ctx.layer("MaskNegInf", op, mask_params(mask), inputs=[data])
        return ctx.layer("Sub", op)

    def forward_int(self, inputs, ctx):
        a, b = broadcast("Sub", *inputs)
        return [a - b]

    def forward_float(self, inputs, ctx):
        a, b = broadcast("Sub", *inputs)
        return [a - b]

    def gadgets(self, ctx):
        return ["sub_pairs"]

    def synthesize(self, inputs, ctx):
        return [ctx.gadget("sub_pairs").assign(ctx.layouter, inputs[0], inputs[1])]


@hookimpl
def zkml_register_layers():
    return [Sub]

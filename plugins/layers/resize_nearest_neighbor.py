"""ResizeNearestNeighbor: TFLite's nearest-neighbour resize of H and W (exact re-indexing).

params = [align_corners, half_pixel_centers]; the output size is ``out_shapes[0]``.
Source index per output index o (TFLite's reference kernel, in float32):
scale = (in - 1) / (out - 1) with align_corners (and out > 1), else in / out;
i = round((o + offset) scale) with align_corners, else floor((o + offset) scale), offset
0.5 with half_pixel_centers; then clamped to [0, in - 1]. zkml computed floor(o in / out)
whatever the flags, which differs with half_pixel_centers (the flag its converter
requires); this follows TFLite.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, expect_inputs, expect_params

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


def source_indices(size_in: int, size_out: int, align_corners: bool,
                   half_pixel: bool) -> np.ndarray:
    """TFLite's GetNearestNeighbor for every output index, in float32 as the kernel does."""
    if align_corners and size_out > 1:
        scale = np.float32(size_in - 1) / np.float32(size_out - 1)
    else:
        scale = np.float32(size_in) / np.float32(size_out)
    offset = np.float32(0.5 if half_pixel else 0.0)
    pos = (np.arange(size_out, dtype=np.float32) + offset) * scale
    # TfLiteRound rounds half away from zero; positions are >= 0 here
    idx = np.floor(pos + np.float32(0.5)) if align_corners else np.floor(pos)
    return np.clip(idx.astype(np.int64), 0, size_in - 1)


class ResizeNearestNeighbor(ShapeLayer):
    name = "ResizeNearestNeighbor"
    description = "nearest-neighbour resize of H and W (TFLite semantics)"
    tflite_ops = ("RESIZE_NEAREST_NEIGHBOR",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        align, half = expect_params(spec, 2, "align_corners, half_pixel_centers")
        expect_inputs(spec, (1, 2), "input, optional size tensor")
        src, dst = spec.inp_shapes[0], spec.out_shapes[0]
        if len(src) != 4 or len(dst) != 4 or src[0] != dst[0] or src[3] != dst[3]:
            raise ModelError(f"resizes [N,H,W,C] to [N,H',W',C], got {list(src)} -> "
                             f"{list(dst)}")
        if min(src[1], src[2], dst[1], dst[2]) < 1:
            raise ModelError(f"empty spatial size in {list(src)} -> {list(dst)}")
        self.rows = source_indices(src[1], dst[1], bool(align), bool(half))
        self.cols = source_indices(src[2], dst[2], bool(align), bool(half))

    @classmethod
    def from_tflite(cls, op, ctx):
        opts = op.options
        params = [int(bool(opts.get("align_corners", False))),
                  int(bool(opts.get("half_pixel_centers", False)))]
        return ctx.layer("ResizeNearestNeighbor", op, params, inputs=op.inputs[:1])

    def required_inputs(self):
        return [0]

    def apply(self, inputs):
        return [inputs[0][:, self.rows][:, :, self.cols]]


@hookimpl
def zkml_register_layers():
    return [ResizeNearestNeighbor]

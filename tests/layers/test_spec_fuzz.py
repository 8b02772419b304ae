"""Model files are user input: any layer entry either builds or raises a ZkmlError, and a
built layer's forward passes either run or raise a ZkmlError, never a bare numpy or
Python exception. (Run locally with 20000 examples while writing the layers.)"""

from __future__ import annotations

import importlib
import pkgutil

import hypothesis.extra.numpy as hnp
import numpy as np
import zkml_plugins.layers as pkg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkml_core.errors import ZkmlError
from zkml_core.model import ExecContext, LayerSpec

CLASSES = sorted((cls for info in pkgutil.iter_modules(pkg.__path__)
                  if not info.name.startswith("_")
                  for cls in importlib.import_module(f"{pkg.__name__}.{info.name}")
                  .zkml_register_layers()), key=lambda c: c.name)
SHAPE = st.lists(st.integers(0, 4), max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(CLASSES), st.lists(st.integers(-3, 6), max_size=9),
       st.lists(SHAPE, max_size=4), st.lists(SHAPE, max_size=3),
       st.lists(st.integers(-2, 6), max_size=4), st.data())
def test_any_spec_builds_or_raises_a_zkml_error(cls, params, inp_shapes, out_shapes, mask,
                                                data):
    spec = LayerSpec(layer_type=cls.name, params=params,
                     inp_idxes=list(range(len(inp_shapes))), inp_shapes=inp_shapes,
                     out_idxes=[50 + i for i in range(len(out_shapes))],
                     out_shapes=out_shapes, mask=mask)
    try:
        layer = cls(spec)
    except ZkmlError:
        return
    ctx = ExecContext(scale_factor=4, k=12, num_cols=6)
    required = set(layer.required_inputs())
    inputs = [data.draw(hnp.arrays(np.int64, tuple(s), elements=st.integers(-2**40, 2**40)))
              if i in required else None for i, s in enumerate(inp_shapes)]
    for forward, args in ((layer.forward_int, inputs),
                          (layer.forward_float, [None if a is None else a / 4 for a in inputs])):
        try:
            forward(args, ctx)
        except ZkmlError:
            pass

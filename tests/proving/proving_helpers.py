"""Helpers of the proving tests: run ``zkml`` in-process, write tiny models.

The tiny model is one Conv2D (VALID, relu) on a 4x4 input with 2 output channels at
scale factor 4, k = 8, 6 columns: a proof takes a few seconds.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from zkml_core.cli import main
from zkml_core.model import LayerSpec, Model, Tensor, save_input, save_model
from zkml_core.plugins import Registry

ROOT = Path(__file__).resolve().parents[2]
MNIST = ROOT.parent / "shared" / "fixtures" / "zkml-mnist"


def run(*argv, registry: Registry) -> tuple[int, str, str]:
    """``zkml ARGV`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv], registry=registry)
    return code, out.getvalue(), err.getvalue()


def conv_model(seed: int, size: int = 4, channels: int = 2, num_cols: int = 6) -> Model:
    """One Conv2D (VALID, relu, 3x3) on a size x size input, random small weights."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-4, 5, size=(channels, 3, 3, 1))
    b = rng.integers(-4, 5, size=(channels,))
    out = size - 2
    return Model(global_sf=4, k=8, num_cols=num_cols, inp_idxes=[0], out_idxes=[3],
                 tensors=[Tensor(idx=1, shape=w.shape, data=w.reshape(-1)),
                          Tensor(idx=2, shape=b.shape, data=b)],
                 layers=[LayerSpec(layer_type="Conv2D", params=[0, 1, 1, 1, 1],
                                   inp_idxes=[0, 1, 2],
                                   inp_shapes=[(1, size, size, 1), w.shape, b.shape],
                                   out_idxes=[3], out_shapes=[(1, out, out, channels)])])


def write_model(directory: Path, seed: int, **kw) -> tuple[Path, Path]:
    """model.msgpack and inp.msgpack (random input in [-8, 8]) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    model = conv_model(seed, **kw)
    size = model.layers[0].inp_shapes[0][1]
    x = np.random.default_rng(seed + 1000).integers(-8, 9, size=(1, size, size, 1))
    save_model(model, directory / "model.msgpack")
    save_input([Tensor(idx=0, shape=x.shape, data=x.reshape(-1))], directory / "inp.msgpack")
    return directory / "model.msgpack", directory / "inp.msgpack"

"""Property tests of the file layer: round trips, and corrupt bytes never escape ModelError."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import msgpack
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkml_core.errors import ModelError
from zkml_core.model import LayerSpec, Model, Tensor, load_input, load_model, parse_model
from zkml_core.model.files import model_to_obj

SMALL = st.integers(0, 4)


@st.composite
def tensors(draw, idx):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    data = draw(hnp.arrays(np.int64, shape, elements=st.integers(-(2**31), 2**40)))
    return Tensor(idx=idx, shape=shape, data=data.ravel())


@st.composite
def models(draw):
    n = draw(st.integers(0, 4))
    ts = [draw(tensors(i)) for i in range(n)]
    layers = [LayerSpec(layer_type=draw(st.text("ABCxyz", min_size=1, max_size=6)),
                        params=draw(st.lists(st.integers(-5, 5), max_size=4)),
                        inp_idxes=[100 + i], inp_shapes=[[2]], out_idxes=[200 + i],
                        out_shapes=[draw(st.lists(SMALL, min_size=1, max_size=3))],
                        mask=draw(st.lists(st.integers(0, 1), max_size=3)))
              for i in range(draw(st.integers(0, 3)))]
    k = draw(st.integers(1, 30))
    return Model(global_sf=draw(st.integers(1, 2**20)), k=k, num_cols=draw(st.integers(1, 30)),
                 inp_idxes=[0], out_idxes=[1], tensors=ts, layers=layers,
                 use_selectors=draw(st.booleans()),
                 commit_before=draw(st.lists(st.lists(SMALL, max_size=3), max_size=2)),
                 bits_per_elem=draw(st.integers(1, 64)), num_random=draw(st.integers(0, 10**5)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_round_trip(m):
    again = parse_model(msgpack.unpackb(msgpack.packb(model_to_obj(m))), "<mem>")
    assert again.layers == m.layers
    for key in ("global_sf", "k", "num_cols", "inp_idxes", "out_idxes", "use_selectors",
                "commit_before", "commit_after", "bits_per_elem", "num_random"):
        assert getattr(again, key) == getattr(m, key), key
    assert [(t.idx, t.shape, t.data.tolist()) for t in again.tensors] == \
        [(t.idx, t.shape, t.data.tolist()) for t in m.tensors]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_corrupted_mnist_bytes_load_or_raise_model_error(tmp_path, fixtures_dir, data):
    for name, loader in (("model.msgpack", load_model), ("inp.msgpack", load_input)):
        raw = bytearray((fixtures_dir / "zkml-mnist" / name).read_bytes())
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(raw) - 1))
            raw[pos] = data.draw(st.integers(0, 255))
        path = tmp_path / name
        path.write_bytes(bytes(raw))
        try:
            loader(path)
        except ModelError as exc:
            assert str(path) in str(exc)

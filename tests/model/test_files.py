"""Loading and saving zkml's msgpack model and input files, and their error messages."""

from __future__ import annotations

import copy

import msgpack
import numpy as np
import pytest

from zkml_core.errors import ModelError, ZkmlError
from zkml_core.model import Tensor, load_input, load_model, save_input, save_model


def small_model_obj() -> dict:
    """A minimal valid model map in zkml's format (one Add layer)."""
    return {
        "global_sf": 16, "k": 10, "num_cols": 6, "inp_idxes": [0], "out_idxes": [2],
        "tensors": [{"idx": 1, "shape": [2, 2], "data": [1, -2, 3, -4]}],
        "layers": [{"layer_type": "Add", "params": [0], "inp_idxes": [0, 1],
                    "inp_shapes": [[2, 2], [2, 2]], "out_idxes": [2],
                    "out_shapes": [[2, 2]], "mask": []}],
    }


def write(tmp_path, obj, name="model.msgpack"):
    path = tmp_path / name
    path.write_bytes(msgpack.packb(obj))
    return path


def test_mnist_model_keys_and_defaults(fixtures_dir):
    path = fixtures_dir / "zkml-mnist" / "model.msgpack"
    raw = msgpack.unpackb(path.read_bytes())
    m = load_model(path)
    assert (m.global_sf, m.k, m.num_cols) == (512, 15, 7)
    assert m.inp_idxes == (0,) and m.out_idxes == (37,)
    assert len(m.layers) == 16 and len(m.tensors) == 20
    # keys absent from the file take zkml's load_model_msgpack defaults
    assert m.use_selectors is True
    assert m.commit_before == [] and m.commit_after == []
    assert m.bits_per_elem == 15 and m.num_random == 20001
    assert m.extra == {"commit": False}
    assert m.source == str(path)
    for t, rt in zip(m.tensors, raw["tensors"], strict=True):
        assert t.idx == rt["idx"] and list(t.shape) == rt["shape"]
        assert t.data.dtype == np.int64 and t.data.tolist() == rt["data"]
    for s, rs in zip(m.layers, raw["layers"], strict=True):
        assert s.layer_type == rs["layer_type"] and list(s.params) == rs["params"]
        assert [list(x) for x in s.inp_shapes] == rs["inp_shapes"]
        assert list(s.out_idxes) == rs["out_idxes"]
    assert [s.layer_type for s in m.layers].count("Conv2D") == 6


def test_mnist_input_and_config(fixtures_dir):
    inp = load_input(fixtures_dir / "zkml-mnist" / "inp.msgpack")
    assert len(inp) == 1 and inp[0].idx == 0 and inp[0].shape == (1, 28, 28, 1)
    assert 0 <= inp[0].data.min() and inp[0].data.max() <= 1024
    cfg = load_model(fixtures_dir / "zkml-mnist" / "config.msgpack")
    assert cfg.is_config_only and len(cfg.layers) == 16


def test_round_trip(tmp_path, fixtures_dir):
    m = load_model(fixtures_dir / "zkml-mnist" / "model.msgpack")
    out = tmp_path / "copy.msgpack"
    save_model(m, out)
    again = load_model(out)
    assert again.layers == m.layers
    assert [(t.idx, t.shape) for t in again.tensors] == [(t.idx, t.shape) for t in m.tensors]
    assert all(np.array_equal(a.data, b.data) for a, b in zip(again.tensors, m.tensors,
                                                                strict=True))
    raw = msgpack.unpackb(out.read_bytes())
    for key in ("global_sf", "k", "num_cols", "inp_idxes", "out_idxes", "tensors", "layers",
                "use_selectors", "commit_before", "commit_after", "bits_per_elem",
                "num_random", "commit"):
        assert key in raw
    # config-only: same shapes, empty data
    cfg_path = tmp_path / "config.msgpack"
    save_model(m, cfg_path, config_only=True)
    cfg = load_model(cfg_path)
    assert cfg.is_config_only and [t.shape for t in cfg.tensors] == [t.shape for t in m.tensors]
    assert all(t["data"] == [] for t in msgpack.unpackb(cfg_path.read_bytes())["tensors"])


def test_input_files_append_and_later_idx_wins(tmp_path):
    path = write(tmp_path, small_model_obj())
    inp_path = tmp_path / "inp.msgpack"
    save_input([Tensor(idx=0, shape=(2, 2), data=np.array([5, 6, 7, 8])),
                Tensor(idx=1, shape=(2, 2), data=np.array([0, 0, 0, 9]))], inp_path)
    assert msgpack.unpackb(inp_path.read_bytes())[1] == {"idx": 1, "shape": [2, 2],
                                                         "data": [0, 0, 0, 9]}
    merged = load_model(path).with_inputs(load_input(inp_path))
    tmap = merged.tensor_map()
    assert tmap[0].data.tolist() == [5, 6, 7, 8]
    assert tmap[1].data.tolist() == [0, 0, 0, 9]  # the input file's tensor 1 replaces the weight


def test_optional_keys_and_nil(tmp_path):
    obj = small_model_obj()
    obj.update(use_selectors=None, commit_before=[[1], [0]], bits_per_elem=None,
               num_random=7, commit_after=None)
    m = load_model(write(tmp_path, obj))
    assert m.use_selectors is True and m.commit_before == [[1], [0]]
    assert m.bits_per_elem == 10 and m.num_random == 7 and m.commit_after == []


def mutate(path_fn):
    obj = small_model_obj()
    path_fn(obj)
    return obj


def _set(keys, value):
    def apply(obj):
        target = obj
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return apply


def _delete(keys):
    def apply(obj):
        target = obj
        for k in keys[:-1]:
            target = target[k]
        del target[keys[-1]]
    return apply


CORRUPTIONS = [
    (_delete(["layers"]), "top level: missing key 'layers'"),
    (_delete(["tensors", 0, "shape"]), "tensors[0]: missing key 'shape'"),
    (_delete(["layers", 0, "out_shapes"]), "layers[0]: missing key 'out_shapes'"),
    (_set(["k"], "10"), "k: expected an integer, got str"),
    (_set(["global_sf"], 1.5), "global_sf: expected an integer, got float"),
    (_set(["global_sf"], 0), "global_sf: must be positive"),
    (_set(["num_cols"], True), "num_cols: expected an integer, got bool"),
    (_set(["use_selectors"], 1), "use_selectors: expected a bool"),
    (_set(["inp_idxes"], 0), "inp_idxes: expected an array, got int"),
    (_set(["tensors", 0, "data"], [1, 2, 3]), "tensors[0].data: has 3 values but shape [2, 2]"),
    (_set(["tensors", 0, "data"], [1, 2.5, 3, 4]), "tensors[0].data[1]: expected an integer"),
    (_set(["tensors", 0, "data"], [1, 2, True, 4]), "tensors[0].data[2]: expected an integer"),
    (_set(["tensors", 0, "data"], [1, 2, -(2**31) - 1, 4]), "tensors[0].data[2]: value"),
    (_set(["tensors", 0, "data"], [1, 2, 2**63, 4]), "tensors[0].data[2]: 9223372036854775808"),
    (_set(["tensors", 0, "data"], [1, [2, 3], 3, 4]), "tensors[0].data[1]: expected an integer"),
    (_set(["tensors", 0, "data"], [[1], [2], [3], [4]]), "tensors[0].data[0]: expected an integer"),
    (_set(["tensors", 0, "shape"], [2, -2]), "tensors[0].shape[1]: negative dimension"),
    (_set(["layers", 0, "layer_type"], 7), "layers[0].layer_type: expected a string"),
    (_set(["layers", 0, "params"], ["0"]), "layers[0] (Add).params[0]: expected an integer"),
    (_set(["layers", 0, "inp_shapes"], [[2, 2]]), "inp_idxes has 2 entries but inp_shapes has 1"),
    (_set(["layers", 0], "Add"), "layers[0]: expected a map, got str"),
    (_set(["commit_before"], [[1, "x"]]), "commit_before[0][1]: expected an integer"),
    (_set(["layers", 0, "inp_shapes"], [[2, 2], [4]]),
     "layers[0] (Add).inp_shapes[1] is [4] but tensor 1 (tensors entry 1) has shape [2, 2]"),
    (lambda obj: obj["layers"].append(
        {"layer_type": "Sub", "params": [], "inp_idxes": [2, 1], "inp_shapes": [[4], [2, 2]],
         "out_idxes": [3], "out_shapes": [[2, 2]], "mask": []}),
     "layers[1] (Sub).inp_shapes[0] is [4] but tensor 2 (output of layers[0] (Add))"),
]


@pytest.mark.parametrize("corrupt,message", CORRUPTIONS)
def test_malformed_models_name_file_and_key(tmp_path, corrupt, message):
    path = write(tmp_path, mutate(corrupt))
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_minimum_value_is_accepted(tmp_path):
    m = load_model(write(tmp_path, mutate(_set(["tensors", 0, "data"], [-(2**31), 0, 0, 0]))))
    assert m.tensors[0].data[0] == -(2**31)


@pytest.mark.parametrize("raw,what", [
    (b"", "not a valid msgpack"),
    (b"\x85\xa3abc", "not a valid msgpack"),  # a map header with too few entries
    (b"\xc1", "not a valid msgpack"),          # a reserved byte
    (msgpack.packb([1, 2]) + b"x", "not a valid msgpack"),
    (msgpack.packb([1, 2]), "top level: expected a map, got list"),
])
def test_not_msgpack_or_not_a_model(tmp_path, raw, what):
    path = tmp_path / "bad.msgpack"
    path.write_bytes(raw)
    with pytest.raises(ModelError, match=what):
        load_model(path)


def test_truncated_fixture(tmp_path, fixtures_dir):
    data = (fixtures_dir / "zkml-mnist" / "model.msgpack").read_bytes()
    for cut in (1, len(data) // 2, len(data) - 1):
        path = tmp_path / "cut.msgpack"
        path.write_bytes(data[:cut])
        with pytest.raises(ModelError, match="truncated"):
            load_model(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        load_model(tmp_path / "nope.msgpack")


@pytest.mark.parametrize("obj,message", [
    ({"idx": 0}, "top level: expected an array, got dict"),
    ([{"idx": 0, "shape": [2]}], "[0]: missing key 'data'"),
    ([{"idx": 0, "shape": [2], "data": []}], "[0].data: input tensor 0 has no data"),
    ([{"idx": 0, "shape": [2], "data": [1]}], "[0].data: has 1 values but shape [2] needs 2"),
])
def test_malformed_inputs(tmp_path, obj, message):
    path = write(tmp_path, obj, "inp.msgpack")
    with pytest.raises(ModelError) as info:
        load_input(path)
    assert str(path) in str(info.value) and message in str(info.value)
    assert isinstance(info.value, ZkmlError)


def test_unknown_layer_types_still_parse(tmp_path):
    obj = copy.deepcopy(small_model_obj())
    obj["layers"][0]["layer_type"] = "MyFancyOp"
    assert load_model(write(tmp_path, obj)).layers[0].layer_type == "MyFancyOp"


def test_scalar_tensor_stored_as_one_element(tmp_path):
    # zkml's converter writes a scalar constant with shape [1]; the layer keeps []
    obj = small_model_obj()
    obj["tensors"][0] = {"idx": 1, "shape": [1], "data": [3]}
    obj["layers"][0]["inp_shapes"] = [[2, 2], []]
    assert load_model(write(tmp_path, obj)).layers[0].inp_shapes[1] == ()

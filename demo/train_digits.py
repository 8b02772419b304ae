"""Train the bundled demo CNN on scikit-learn's handwritten digits and write it as .tflite.

    python demo/train_digits.py            # writes demo/digits_cnn.tflite and friends

Data: ``sklearn.datasets.load_digits`` (1797 8x8 grey images of digits 0-9, shipped with
scikit-learn; a dev dependency only). Held-out split: 20 %, stratified, seed 0.

Model (NHWC, float32, 1.4 k parameters)::

    input (1, 8, 8, 1) in [0, 1]
    CONV_2D 3x3 VALID, 8 filters, RELU     -> (1, 6, 6, 8)
    AVERAGE_POOL_2D 2x2 stride 2           -> (1, 3, 3, 8)
    CONV_2D 3x3 VALID, 16 filters, RELU    -> (1, 1, 1, 16)
    CONV_2D 1x1, 10 filters                -> (1, 1, 1, 10) logits

The last layer is a fully connected 16 -> 10 layer, written as a 1x1 convolution (as in
zkml's MNIST model) so the model needs only the Conv2D and AveragePool2D layers.

Training is plain numpy (im2col convolutions, hand-written backward pass, Adam), so no
TensorFlow is needed. The script then writes, with zkml's TFLite writer:

- ``digits_cnn.tflite``: the float model;
- ``digits_cnn_int8.tflite``: an int8 model (per-channel symmetric weights, per-tensor
  asymmetric activations whose ranges come from running the float model on the
  training images as calibration data, int32 biases at input_scale * weight_scale);
- ``digit_input.npy`` (one held-out image, float32, shape (1, 8, 8, 1)) and
  ``digit_input.json`` (its label and where it came from);
- ``digit_calibration.npy``: 32 training images (32, 8, 8, 1), a calibration batch for
  ``zkml convert --calibrate``.

It prints the held-out accuracy of the numpy model and, when ai-edge-litert is
installed, of both .tflite files in TFLite's reference interpreter.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from zkml_core.convert.tflite_writer import (
    Quant,
    TFLiteWriter,
    affine_params,
    quantize,
    symmetric_params,
)

HERE = Path(__file__).resolve().parent
SEED = 0


# -- data ---------------------------------------------------------------------------------


def load_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]  # (n, 8, 8, 1) in [0, 1]
    y = digits.target.astype(np.int64)
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=0.2, random_state=SEED, stratify=y)
    return x[tr], y[tr], x[te], y[te], te


# -- numpy layers ----------------------------------------------------------------------------


def patches(x: np.ndarray, k: int) -> np.ndarray:
    """(N, H, W, C) -> (N, H-k+1, W-k+1, k*k*C), taps ordered (kh, kw, c) like TFLite's OHWI."""
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # N,oh,ow,C,k,k
    n, oh, ow = win.shape[:3]
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n, oh, ow, -1)


def conv_forward(x, w, b):
    p = patches(x, w.shape[1])
    return p @ w.reshape(w.shape[0], -1).T + b, p


def conv_backward(dout, p, w, x_shape):
    o, k = w.shape[0], w.shape[1]
    dw = (dout.reshape(-1, o).T @ p.reshape(-1, p.shape[-1])).reshape(w.shape)
    db = dout.sum(axis=(0, 1, 2))
    dp = (dout @ w.reshape(o, -1)).reshape(dout.shape[:3] + (k, k, x_shape[3]))
    dx = np.zeros(x_shape, dtype=dout.dtype)
    oh, ow = dout.shape[1:3]
    for i in range(k):
        for j in range(k):
            dx[:, i:i + oh, j:j + ow, :] += dp[:, :, :, i, j, :]
    return dx, dw, db


def init_params(rng):
    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    return {
        "w1": he((8, 3, 3, 1), 9), "b1": np.zeros(8, np.float32),
        "w2": he((16, 3, 3, 8), 72), "b2": np.zeros(16, np.float32),
        "w3": he((10, 16), 16), "b3": np.zeros(10, np.float32),
    }


def forward(params, x, keep=False):
    """Logits, and (with ``keep``) every intermediate activation for backward/calibration."""
    z1, p1 = conv_forward(x, params["w1"], params["b1"])
    a1 = np.maximum(z1, 0)
    n = x.shape[0]
    pooled = a1.reshape(n, 3, 2, 3, 2, 8).mean(axis=(2, 4))
    z2, p2 = conv_forward(pooled, params["w2"], params["b2"])
    a2 = np.maximum(z2, 0)
    logits = a2.reshape(n, 16) @ params["w3"].T + params["b3"]
    if not keep:
        return logits
    return logits, dict(p1=p1, z1=z1, a1=a1, pooled=pooled, p2=p2, z2=z2, a2=a2)


def loss_and_grads(params, x, y):
    logits, c = forward(params, x, keep=True)
    n = x.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(shifted)
    prob /= prob.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(n), y] + 1e-12).mean()
    dlogits = prob
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    g = {"w3": dlogits.T @ c["a2"].reshape(n, 16), "b3": dlogits.sum(axis=0)}
    dz2 = (dlogits @ params["w3"]).reshape(c["z2"].shape) * (c["z2"] > 0)
    dpooled, g["w2"], g["b2"] = conv_backward(dz2, c["p2"], params["w2"], c["pooled"].shape)
    da1 = np.repeat(np.repeat(dpooled, 2, axis=1), 2, axis=2) / 4.0
    dz1 = da1 * (c["z1"] > 0)
    _, g["w1"], g["b1"] = conv_backward(dz1, c["p1"], params["w1"], x.shape)
    return loss, g


def train(x, y, epochs=60, batch=32, lr=0.01):
    rng = np.random.default_rng(SEED)
    params = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        total = 0.0
        for s in range(0, len(y), batch):
            idx = order[s:s + batch]
            loss, g = loss_and_grads(params, x[idx], y[idx])
            total += loss * len(idx)
            step += 1
            rate = lr * (0.5 * (1 + np.cos(np.pi * epoch / epochs)))  # cosine decay
            for k in params:  # Adam
                m[k] = 0.9 * m[k] + 0.1 * g[k]
                v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
                mh, vh = m[k] / (1 - 0.9 ** step), v[k] / (1 - 0.999 ** step)
                params[k] = (params[k] - rate * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss {total / len(y):.4f}")
    return params


# -- TFLite export -----------------------------------------------------------------------------


def write_float(params) -> bytes:
    w = TFLiteWriter(description="zkml demo: digits CNN (float32)")
    x = w.add_input("input", (1, 8, 8, 1))
    c1 = w.add_tensor("conv1", (1, 6, 6, 8))
    w.add_op("CONV_2D", [x, w.add_constant("conv1/w", params["w1"]),
                         w.add_constant("conv1/b", params["b1"])], [c1],
             fused_activation_function="RELU")
    p1 = w.add_tensor("pool1", (1, 3, 3, 8))
    w.add_op("AVERAGE_POOL_2D", [c1], [p1], filter_height=2, filter_width=2,
             stride_h=2, stride_w=2)
    c2 = w.add_tensor("conv2", (1, 1, 1, 16))
    w.add_op("CONV_2D", [p1, w.add_constant("conv2/w", params["w2"]),
                         w.add_constant("conv2/b", params["b2"])], [c2],
             fused_activation_function="RELU")
    out = w.add_tensor("logits", (1, 1, 1, 10))
    w.add_op("CONV_2D", [c2, w.add_constant("fc/w", params["w3"].reshape(10, 1, 1, 16)),
                         w.add_constant("fc/b", params["b3"])], [out])
    w.mark_output(out)
    return w.to_bytes()


def write_int8(params, calib: np.ndarray) -> tuple[bytes, Quant]:
    """int8 model; activation ranges from the float model on the calibration images."""
    logits, c = forward(params, calib, keep=True)
    q_in = Quant(scale=float(np.float32(1 / 255)), zero_point=-128)  # inputs lie in [0, 1]
    q_c1 = affine_params(0.0, c["a1"].max())
    q_c2 = affine_params(0.0, c["a2"].max())
    q_out = affine_params(logits.min(), logits.max())

    w = TFLiteWriter(description="zkml demo: digits CNN (int8)")

    def conv_weights(name, wf, bf, q_input):
        qw = symmetric_params(wf, axis=0)
        bias_scale = np.float64(q_input.scales()[0]) * qw.scales().astype(np.float64)
        wi = w.add_constant(f"{name}/w", quantize(wf, qw), "int8", qw)
        bi = w.add_constant(f"{name}/b", np.round(bf / bias_scale).astype(np.int32), "int32",
                            Quant(bias_scale.tolist(), [0] * len(bias_scale)))
        return wi, bi

    x = w.add_input("input", (1, 8, 8, 1), "int8", q_in)
    c1 = w.add_tensor("conv1", (1, 6, 6, 8), "int8", q_c1)
    w.add_op("CONV_2D", [x, *conv_weights("conv1", params["w1"], params["b1"], q_in)], [c1],
             fused_activation_function="RELU")
    p1 = w.add_tensor("pool1", (1, 3, 3, 8), "int8", q_c1)  # pooling keeps its input's params
    w.add_op("AVERAGE_POOL_2D", [c1], [p1], filter_height=2, filter_width=2,
             stride_h=2, stride_w=2)
    c2 = w.add_tensor("conv2", (1, 1, 1, 16), "int8", q_c2)
    w.add_op("CONV_2D", [p1, *conv_weights("conv2", params["w2"], params["b2"], q_c1)], [c2],
             fused_activation_function="RELU")
    out = w.add_tensor("logits", (1, 1, 1, 10), "int8", q_out)
    w.add_op("CONV_2D", [c2, *conv_weights("fc", params["w3"].reshape(10, 1, 1, 16),
                                           params["b3"], q_c2)], [out])
    w.mark_output(out)
    return w.to_bytes(), q_in


def interpreter_accuracy(model: bytes, x: np.ndarray, y: np.ndarray,
                         q_in: Quant | None = None) -> float | None:
    """Held-out accuracy in TFLite's reference interpreter (None without ai-edge-litert)."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        return None
    it = Interpreter(model_content=model,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    hits = 0
    for img, label in zip(x, y, strict=True):
        feed = img[None] if q_in is None else quantize(img[None], q_in)
        it.set_tensor(inp, feed)
        it.invoke()
        hits += int(np.argmax(it.get_tensor(out)) == label)
    return hits / len(y)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args(argv)

    x_tr, y_tr, x_te, y_te, te_idx = load_data()
    print(f"train {len(y_tr)} images, held-out test {len(y_te)} images")
    params = train(x_tr, y_tr, epochs=args.epochs)
    acc = float((forward(params, x_te).argmax(axis=1) == y_te).mean())
    print(f"numpy float model: held-out accuracy {acc:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    float_model = write_float(params)
    int8_model, q_in = write_int8(params, x_tr)
    (args.out / "digits_cnn.tflite").write_bytes(float_model)
    (args.out / "digits_cnn_int8.tflite").write_bytes(int8_model)

    # the sample: the first held-out image the float model classifies correctly
    pred = forward(params, x_te).argmax(axis=1)
    k = int(np.flatnonzero(pred == y_te)[0])
    np.save(args.out / "digit_input.npy", x_te[k][None].astype(np.float32))
    meta = {"label": int(y_te[k]), "source": "sklearn.datasets.load_digits",
            "dataset_index": int(te_idx[k]), "scaling": "pixel / 16, float32",
            "shape": [1, 8, 8, 1]}
    (args.out / "digit_input.json").write_text(json.dumps(meta, indent=2) + "\n")
    # a small calibration batch for `zkml convert --calibrate` (training images)
    np.save(args.out / "digit_calibration.npy", x_tr[:32].astype(np.float32))

    for name, model, q in (("digits_cnn.tflite", float_model, None),
                           ("digits_cnn_int8.tflite", int8_model, q_in)):
        tfl = interpreter_accuracy(model, x_te, y_te, q)
        shown = f"{tfl:.4f}" if tfl is not None else "n/a (ai-edge-litert not installed)"
        print(f"{name}: {len(model)} bytes, TFLite interpreter held-out accuracy {shown}")
    print(f"sample digit_input.npy: dataset index {meta['dataset_index']}, label {meta['label']}")


if __name__ == "__main__":
    main()

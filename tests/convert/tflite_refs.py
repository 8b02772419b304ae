"""numpy float64 references of TFLite ops (NHWC layouts), and the reference interpreter.

Written from the op definitions (TFLite's documented semantics), independently of any
zkml code, so interpreter outputs can be checked against them.
"""

from __future__ import annotations

import numpy as np


def activation(x: np.ndarray, name: str) -> np.ndarray:
    if name == "RELU":
        return np.maximum(x, 0.0)
    if name == "RELU6":
        return np.clip(x, 0.0, 6.0)
    assert name == "NONE", name
    return x


def out_size(size: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int]:
    """(output size, padding before) of one spatial axis."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return (size - eff) // stride + 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2


def _windows(x, kh, kw, sh, sw, dh, dw, padding):
    """Yield (i, j, [(di, dj, x[:, y, x, :]) for the valid taps])."""
    _, h, w, _ = x.shape
    oh, pt = out_size(h, kh, sh, dh, padding)
    ow, pl = out_size(w, kw, sw, dw, padding)
    for i in range(oh):
        for j in range(ow):
            taps = []
            for a in range(kh):
                for b in range(kw):
                    y, z = i * sh - pt + a * dh, j * sw - pl + b * dw
                    if 0 <= y < h and 0 <= z < w:
                        taps.append((a, b, x[:, y, z, :]))
            yield i, j, taps


def _conv(x, kh, kw, oc, tap, b, stride, dilation, padding, act):
    """Sum ``tap(a, c, x_slice)`` over the valid kernel taps of every output position."""
    oh, _ = out_size(x.shape[1], kh, stride[0], dilation[0], padding)
    ow, _ = out_size(x.shape[2], kw, stride[1], dilation[1], padding)
    out = np.zeros((x.shape[0], oh, ow, oc))
    for i, j, taps in _windows(x, kh, kw, *stride, *dilation, padding):
        for a, c, v in taps:
            out[:, i, j, :] += tap(a, c, v)
    if b is not None:
        out += np.asarray(b, np.float64)
    return activation(out, act)


def conv2d(x, w, b, stride=(1, 1), dilation=(1, 1), padding="VALID", act="NONE"):
    """x (N,H,W,C), w (O,KH,KW,C), b (O,) or None."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    o, kh, kw, _ = w.shape
    return _conv(x, kh, kw, o, lambda a, c, v: v @ w[:, a, c, :].T, b, stride, dilation,
                 padding, act)


def depthwise_conv2d(x, w, b, multiplier=1, stride=(1, 1), dilation=(1, 1), padding="VALID",
                     act="NONE"):
    """x (N,H,W,C), w (1,KH,KW,C*M): output channel c*M+m reads input channel c."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    _, kh, kw, oc = w.shape
    return _conv(x, kh, kw, oc, lambda a, c, v: np.repeat(v, multiplier, axis=-1) * w[0, a, c, :],
                 b, stride, dilation, padding, act)


def pool2d(x, kind, filt=(2, 2), stride=(2, 2), padding="VALID", act="NONE"):
    """Average (over the valid taps only, as TFLite does), max or sum pooling."""
    x = np.asarray(x, np.float64)
    oh, _ = out_size(x.shape[1], filt[0], stride[0], 1, padding)
    ow, _ = out_size(x.shape[2], filt[1], stride[1], 1, padding)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i, j, taps in _windows(x, *filt, *stride, 1, 1, padding):
        vals = np.stack([v for _, _, v in taps])
        reduce = {"avg": np.mean, "max": np.max, "sum": np.sum}[kind]
        out[:, i, j, :] = reduce(vals, axis=0)
    return activation(out, act)


def fully_connected(x, w, b, act="NONE"):
    """x (..., I) flattened to (-1, I); w (O, I)."""
    x = np.asarray(x, np.float64).reshape(-1, w.shape[1])
    out = x @ np.asarray(w, np.float64).T
    if b is not None:
        out += np.asarray(b, np.float64)
    return activation(out, act)


def softmax(x, beta=1.0):
    z = beta * np.asarray(x, np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def logistic(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def run_interpreter(model: bytes, *inputs: np.ndarray) -> list[np.ndarray]:
    """Outputs of ``model`` on ``inputs`` with TFLite's reference (BUILTIN_REF) kernels."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=model,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                     experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    for detail, value in zip(it.get_input_details(), inputs, strict=True):
        it.set_tensor(detail["index"], np.asarray(value, dtype=detail["dtype"]))
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]

"""Built-in layer plugins: one module per msgpack ``layer_type``, each its own entry point.

Every value is an int64 at the model's scale factor sf; ``round_half_up(a / b)`` is
``floor((2a + b) / (2b))`` (zkml's rounded division, negative a included). Stated bounds
are on ``|forward_int / sf - forward_float|`` for the same integer inputs; each is
property-tested in tests/layers.

==================  ===========================================  ==============
layer               integer semantics                            bound
==================  ===========================================  ==============
Conv2D              round_half_up(sum x w / sf) + bias, relu(6)  0.5 / sf
FullyConnected      round_half_up(X W^T / sf) + bias, relu       0.5 / sf
BatchMatMul         round_half_up(A B / sf) per batch            0.5 / sf
AveragePool2D       round_half_up(window sum / (fh fw))          0.5 / sf
Mean                round_half_up(sum / count)                   0.5 / sf
Mul                 round_half_up(a b / sf)                      0.5 / sf
Square              round_half_up(x x / sf)                      0.5 / sf
SquaredDifference   round_half_up((a - b)^2 / sf)                0.5 / sf
Div                 round_half_up(a / divisor)                   0.5 / sf
DivVar              round_half_up(a sf / b)                      0.5 / sf
Add, Sub            exact (Add: optional relu)                   0
MaxPool2D           window maximum                               0
Logistic, Tanh,     zkml's table: Rust round(f(x / sf) sf),      0.5 / sf
Sqrt, Rsqrt, Pow    row min_val -> 0, inputs in [min_val,
                    max_val]
Softmax             max, exp table at sf^2, rounded divisions    see its tests
MaskNegInf          masked cells -> min_val                      0
shape layers        re-indexing (Reshape, Transpose, Permute,    0
                    Concatenation, Pack, Slice, Split, Pad,
                    Broadcast, Rotate, Noop,
                    ResizeNearestNeighbor)
==================  ===========================================  ==============

The int8 layers (``q_*.py``: QConv2D, QFullyConnected, QAddSub, QMul, QAveragePool2D,
QMaxPool2D, QReshape; TFLite's ``"OP:int8"`` keys) keep TFLite's integer semantics
instead: zero points, int32 sums, requantisation by a fixed-point multiplier and shift,
clamp to the fused activation's int8 range; bit-exact against TFLite's reference kernels
(tests/convert, tests/circuits/test_int8_circuits.py).

Every layer has a circuit (``synthesize``) with exactly these semantics: the model
circuit checks its values against ``forward_int``. Re-indexing layers and MaskNegInf
gather cells (no rows, constant cells for padding and min_val); the others lay out
their ops through the gadgets ``gadgets(ctx)`` names (tests/circuits proves each one).
"""

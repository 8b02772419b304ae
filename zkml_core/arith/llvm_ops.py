"""Montgomery field operations emitted as LLVM IR (numba intrinsics).

numba has no 128-bit integer, but an intrinsic can build IR directly: operands are
zero-extended to i128 for the 64x64 -> 128-bit products (CIOS multiplication), and to
i256 for additions and the final conditional subtraction, which LLVM lowers to add/adc
and sub/sbb chains. Intrinsics are expanded in place at every call site without
numba-level inlining, so kernels built from them compile quickly and pay no call
overhead.

Two calling forms share the generators:
- scalar limbs: ``mont_mul(a0..a3, b0..b3, p0..p3, inv)``, ``mod_add`` / ``mod_sub``
  ``(a0..a3, b0..b3, p0..p3)``, each returning a 4-tuple of uint64;
- tuples: ``fm(a, b, P)``, ``fa(a, b, P)``, ``fs(a, b, P)`` with ``a``, ``b`` 4-tuples
  and ``P = (p0, p1, p2, p3, inv)``.

Multiplication is CIOS without the final carry word (valid because every modulus here
is below 2^255); all inputs must be fully reduced (< p) and so are all outputs.

Eight-lane forms for CPUs with AVX-512 IFMA live in :mod:`zkml_core.arith.simd_ops`.

numba's on-disk cache is keyed on the file of each cached kernel, not on this module:
after editing this file, delete ``zkml_core/arith/__pycache__/*.nbi`` and ``*.nbc``.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

I64 = ir.IntType(64)
I128 = ir.IntType(128)
I256 = ir.IntType(256)
U4 = types.UniTuple(types.uint64, 4)


def _join(bd, limbs):
    acc = bd.zext(limbs[0], I256)
    for k in range(1, 4):
        acc = bd.or_(acc, bd.shl(bd.zext(limbs[k], I256), ir.Constant(I256, 64 * k)))
    return acc


def _split(bd, v):
    return [bd.trunc(bd.lshr(v, ir.Constant(I256, 64 * k)), I64) for k in range(4)]


def _mul_ir(bd, a, b, p, inv):
    c64 = ir.Constant(I128, 64)
    t = [ir.Constant(I64, 0)] * 4
    for i in range(4):
        carry = ir.Constant(I128, 0)
        bi = bd.zext(b[i], I128)
        for j in range(4):
            s = bd.add(bd.add(bd.mul(bd.zext(a[j], I128), bi), bd.zext(t[j], I128)), carry)
            t[j] = bd.trunc(s, I64)
            carry = bd.lshr(s, c64)
        t4 = bd.trunc(carry, I64)
        m = bd.zext(bd.mul(t[0], inv), I128)
        s = bd.add(bd.mul(m, bd.zext(p[0], I128)), bd.zext(t[0], I128))
        carry = bd.lshr(s, c64)
        for j in range(1, 4):
            s = bd.add(bd.add(bd.mul(m, bd.zext(p[j], I128)), bd.zext(t[j], I128)), carry)
            t[j - 1] = bd.trunc(s, I64)
            carry = bd.lshr(s, c64)
        t[3] = bd.add(t4, bd.trunc(carry, I64))
    return _reduce_once(bd, _join(bd, t), _join(bd, p))


def _reduce_once(bd, x, p):
    """x - p if x >= p else x (x < 2p): one subtract-with-borrow chain and a select."""
    d = bd.usub_with_overflow(x, p)
    return _split(bd, bd.select(bd.extract_value(d, 1), x, bd.extract_value(d, 0)))


def _add_ir(bd, a, b, p):
    return _reduce_once(bd, bd.add(_join(bd, a), _join(bd, b)), _join(bd, p))  # < 2p < 2^256


def _sub_ir(bd, a, b, p):
    d = bd.usub_with_overflow(_join(bd, a), _join(bd, b))
    # add p back on a borrow, masked rather than branched
    mask = bd.sext(bd.extract_value(d, 1), I256)
    return _split(bd, bd.add(bd.extract_value(d, 0), bd.and_(_join(bd, p), mask)))


def _scalar_sig(args):
    if not all(isinstance(t, types.Integer) for t in args):
        return None
    return U4(*args)


def _scalar_codegen(op):
    def codegen(context, builder, signature, vals):
        v = [context.cast(builder, x, t, types.uint64)
             for x, t in zip(vals, signature.args, strict=True)]
        return context.make_tuple(builder, signature.return_type,
                                  op(builder, v[0:4], v[4:8], v[8:12], *v[12:]))

    return codegen


# numba intrinsics cannot take *args: the scalar forms spell their parameters out
@intrinsic
def mont_mul(typingctx, a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3, inv):
    """Montgomery product a·b·2^-256 mod p of limb-wise operands."""
    sig = _scalar_sig((a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3, inv))
    return sig, _scalar_codegen(_mul_ir)


@intrinsic
def mod_add(typingctx, a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3):
    """(a + b) mod p of limb-wise operands."""
    return _scalar_sig((a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3)), _scalar_codegen(_add_ir)


@intrinsic
def mod_sub(typingctx, a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3):
    """(a - b) mod p of limb-wise operands."""
    return _scalar_sig((a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3)), _scalar_codegen(_sub_ir)


@intrinsic
def mul_wide(typingctx, a, b):
    """The full 128-bit product of two uint64 as ``(lo, hi)`` (plain, not Montgomery)."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, signature, vals):
        x, y = (builder.zext(context.cast(builder, v, t, types.uint64), I128)
                for v, t in zip(vals, signature.args, strict=True))
        prod = builder.mul(x, y)
        lo = builder.trunc(prod, I64)
        hi = builder.trunc(builder.lshr(prod, ir.Constant(I128, 64)), I64)
        return context.make_tuple(builder, signature.return_type, (lo, hi))

    return types.UniTuple(types.uint64, 2)(a, b), codegen


def _unpack(context, builder, val, ty, n):
    return [context.cast(builder, builder.extract_value(val, k), ty[k], types.uint64)
            for k in range(n)]


def _tupled(op, with_inv, name):
    def typer(typingctx, a, b, P):
        for t, n in ((a, 4), (b, 4), (P, 5)):
            if not (isinstance(t, types.BaseTuple) and len(t) == n
                    and all(isinstance(e, types.Integer) for e in t)):
                return None
        sig = U4(a, b, P)

        def codegen(context, builder, signature, vals):
            ta, tb, tp = signature.args
            av = _unpack(context, builder, vals[0], ta, 4)
            bv = _unpack(context, builder, vals[1], tb, 4)
            pv = _unpack(context, builder, vals[2], tp, 5)
            extra = (pv[4],) if with_inv else ()
            out = op(builder, av, bv, pv[:4], *extra)
            return context.make_tuple(builder, signature.return_type, out)

        return sig, codegen

    typer.__name__ = typer.__qualname__ = name
    return typer


fm = intrinsic(_tupled(_mul_ir, True, "fm"))
fa = intrinsic(_tupled(_add_ir, False, "fa"))
fs = intrinsic(_tupled(_sub_ir, False, "fs"))


"""warmup() compiles every kernel; importing the engine compiles none."""

from __future__ import annotations

import subprocess
import sys

from numba.core.registry import CPUDispatcher

CHECK = """
import zkml_core.arith.curve, zkml_core.arith.poly, zkml_core.arith.compile_all
from zkml_core.arith import ec_kernels, kernels, msm_kernels, poly
from numba.core.registry import CPUDispatcher
compiled = [k for m in (kernels, ec_kernels, msm_kernels, poly) for k, v in vars(m).items()
            if isinstance(v, CPUDispatcher) and v.signatures]
print(compiled)
"""


def test_import_compiles_nothing():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_warmup_compiles_every_array_kernel():
    from zkml_core.arith import ec_kernels, kernels, msm_kernels, poly, warmup

    seen = []
    times = warmup(seen.append)
    assert seen == ["fields", "polynomials", "curves"] and set(times) == set(seen)
    # every dispatcher that Python code calls directly has been compiled
    entry = {"mul_arr_serial", "mul_arr_parallel", "add_arr", "sub_arr", "pow_arr", "batch_inv", "sum_arr", "inner_arr",
             "powers_arr", "lt_p", "sqrt_arr", "jac_to_affine", "add_affine_arr", "double_affine_arr",
             "scalar_mul_arr", "on_curve_arr", "fixed_base_table", "fixed_base_kernel",
             "signed_digits", "glv_split", "glv_points", "msm_kernel", "_ntt_inplace", "_horner",
             "_div_linear"}
    compiled = {k for m in (kernels, ec_kernels, msm_kernels, poly) for k, v in vars(m).items()
                if isinstance(v, CPUDispatcher) and v.signatures}
    assert entry <= compiled

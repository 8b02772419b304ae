import sys
from pathlib import Path

import numba
import pytest

HERE = Path(__file__).resolve().parent
# the tests import the sibling helper layer_model and the gadget tests' tamper helpers
# (gadget_circuit); pytest runs in importlib mode
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "gadgets"))


@pytest.fixture(scope="module", autouse=True)
def _one_kernel_thread():
    """These circuits have 2^10 - 2^11 rows: there the arithmetic kernels' thread pool costs
    more than the work (measured on a loaded 2-core machine: a 1024-element field multiply
    took 12 ms with the pool, 0.02 ms on one thread, so a MockProver run took 1 s, not 0.1 s)."""
    prev = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(prev)

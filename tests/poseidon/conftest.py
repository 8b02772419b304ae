import sys
from pathlib import Path

# the tests import the sibling data module poseidon_vectors (pytest runs in importlib mode),
# and the commitment proof test the gadget test circuits of tests/gadgets
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gadgets"))

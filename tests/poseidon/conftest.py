import sys
from pathlib import Path

# the tests import the sibling data module poseidon_vectors (pytest runs in importlib mode)
sys.path.insert(0, str(Path(__file__).resolve().parent))

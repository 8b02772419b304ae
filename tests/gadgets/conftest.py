import sys
from pathlib import Path

# the tests import the sibling helper module gadget_circuit (pytest runs in importlib mode)
sys.path.insert(0, str(Path(__file__).resolve().parent))

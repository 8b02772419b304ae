"""``python -m zkml_core``: the ``zkml`` command."""

import sys

from zkml_core.cli import main

sys.exit(main())

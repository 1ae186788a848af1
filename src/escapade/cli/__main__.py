"""``python -m escapade.cli``: the ``escapade`` command."""

import sys

from .main import main

sys.exit(main())

"""``python -m affectzoo.cli``: the same program as the ``affectzoo`` console script."""

import sys

from affectzoo.cli import main

sys.exit(main())

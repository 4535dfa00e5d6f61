"""``python -m ekyc.docs``: run :func:`ekyc.cli.docs.main`."""

import sys

from ..cli.docs import main

sys.exit(main())

"""``python -m mmsk``: cross-validate early and late fusion on the bundled demo data."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

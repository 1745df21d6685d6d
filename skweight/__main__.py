"""``python -m skweight``: the ``skweight`` command-line interface."""

import sys

from skweight._cli import main

if __name__ == "__main__":
    sys.exit(main())

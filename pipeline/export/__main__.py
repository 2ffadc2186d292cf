"""``python -m pipeline.export ...`` = ``python -m pipeline export ...``."""

import sys

from pipeline.cli import main

sys.exit(main(["export", *sys.argv[1:]]))

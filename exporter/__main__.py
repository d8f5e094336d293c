"""``python -m exporter`` is the ``imagepull-exporter`` command."""

import sys

from exporter.cli.main import main

sys.exit(main())

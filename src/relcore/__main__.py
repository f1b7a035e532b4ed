"""``python -m relcore``: the command line."""

from relcore.cli import main

raise SystemExit(main())

"""The ``relcore`` command line (also ``python -m relcore``): the demo and its progress display."""

from relcore.cli.commands import main, run_demo

__all__ = ["main", "run_demo"]

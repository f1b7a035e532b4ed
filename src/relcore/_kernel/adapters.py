"""Adapters named by dotted path and imported when first needed.

A store names the repositories of a context as ``"package.module:Name"``
instead of importing them, so the storage machinery never imports a context
at import time (the context's adapters import the machinery) and
``import relcore`` loads no adapter it does not use.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

__all__ = ["load"]


@functools.cache
def load(path: str) -> Any:
    """Return the object named ``"package.module:Name"``, importing its module once.

    Example:
        >>> load("relcore.clock:utc").__name__
        'utc'
    """
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError("an adapter path reads 'package.module:Name'")
    return getattr(importlib.import_module(module), name)

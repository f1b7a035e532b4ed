"""A small progress display for the command line (stdlib only)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

__all__ = ["Progress"]

T = TypeVar("T")


class Progress:
    """Counts items flowing through :meth:`track` and redraws one status line.

    Draws only on a terminal (or when ``enabled`` is forced on), at most ten
    times a second, so it costs nothing measurable on a fast stream.

    Args:
        stream: Where to draw (standard error by default).
        enabled: Draw at all; ``None`` means "if ``stream`` is a terminal".
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled

    def track(self, items: Iterable[T], phase: str, total: int | None = None) -> Iterator[T]:
        """Yield ``items`` unchanged while showing ``phase``, the count and the rate."""
        start = last = time.monotonic()
        count = 0
        for item in items:
            count += 1
            yield item
            now = time.monotonic()
            if self._enabled and now - last >= 0.1:
                last = now
                self._draw(phase, count, total, count / max(now - start, 1e-9))
        if self._enabled:
            self._draw(phase, count, total, count / max(time.monotonic() - start, 1e-9))
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, phase: str, count: int, total: int | None, rate: float) -> None:
        if total:
            filled = int(24 * min(count / total, 1.0))
            bar = f"[{'#' * filled}{'.' * (24 - filled)}] {count:>9,}/{total:,}"
        else:
            bar = f"{count:>9,}"
        self._stream.write(f"\r{phase:<14} {bar}  {rate:>9,.0f}/s")
        self._stream.flush()

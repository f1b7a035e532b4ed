"""A small progress display for the command line (standard library only)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

__all__ = ["Progress", "terminal_progress"]

T = TypeVar("T")

_WIDTH = 24


class Progress:
    """Counts the items flowing through `track` and redraws one status line.

    The line shows the phase, the count (with a bar when the total is known)
    and the rate. It is drawn only on a terminal, unless ``enabled`` says
    otherwise, and at most ten times a second, so it costs nothing measurable
    on a fast stream.

    Args:
        stream: Where to draw (standard error by default).
        enabled: Draw at all; ``None`` means "if ``stream`` is a terminal".

    Example:
        >>> import io
        >>> screen = io.StringIO()
        >>> list(Progress(screen, enabled=True).track("abc", "letters", total=3))
        ['a', 'b', 'c']
        >>> "letters" in screen.getvalue() and "3/3" in screen.getvalue()
        True
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self._enabled = enabled
        self._open_line = False

    @property
    def enabled(self) -> bool:
        """Whether anything is drawn."""
        return self._enabled

    def track(self, items: Iterable[T], phase: str, total: int | None = None) -> Iterator[T]:
        """Yield ``items`` unchanged while showing ``phase``, the count and the rate.

        Args:
            items: The stream to pass through.
            phase: A short name of what is happening.
            total: How many items to expect, if known (draws a bar).
        """
        if not self._enabled:
            yield from items
            return
        start = last = time.monotonic()
        count = 0
        for item in items:
            yield item
            count += 1
            now = time.monotonic()
            if now - last >= 0.1:
                last = now
                self._draw(phase, count, total, now - start)
        self._draw(phase, count, total, time.monotonic() - start, done=True)
        self.end_line()

    def show(self, phase: str, count: int, total: int | None = None) -> None:
        """Show ``count`` (of ``total``) for ``phase``, for callers that report rather than stream.

        A new phase starts a new line; redraws within a phase are throttled to
        ten a second, except the one that reaches ``total``.
        """
        if not self._enabled:
            return
        now = time.monotonic()
        phase_changed = phase != getattr(self, "_phase", None)
        if phase_changed:
            self.end_line()
            self._phase, self._phase_start, self._last = phase, now, 0.0
        finished = bool(total) and count >= (total or 0)
        if phase_changed or finished or now - self._last >= 0.1:
            self._last = now
            self._draw(phase, count, total, now - self._phase_start, done=finished)

    def end_line(self) -> None:
        """Finish a line left open (call before printing an error over it)."""
        if self._open_line:
            self._stream.write("\n")
            self._stream.flush()
            self._open_line = False

    def _draw(self, phase: str, count: int, total: int | None, elapsed: float, *, done: bool = False) -> None:
        rate = count / elapsed if elapsed > 0 else 0.0
        if total:
            filled = int(_WIDTH * min(count / total, 1.0))
            shown = f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {count:>9,}/{total:,}"
        else:
            shown = f"{count:>9,}"
        tail = f"  in {elapsed:.1f} s" if done else ""
        # "\x1b[K" clears what a longer earlier line left on the right.
        self._stream.write(f"\r{phase:<13} {shown}  {rate:>9,.0f}/s{tail}\x1b[K")
        self._stream.flush()
        self._open_line = True


def terminal_progress(
    stream: TextIO | None = None, *, enabled: bool | None = None
) -> Callable[[str, int, int], None]:
    """Return a ``progress`` callback that redraws one status line per stage on a terminal.

    Args:
        stream: Where to draw (standard error by default).
        enabled: Draw at all; ``None`` means "if ``stream`` is a terminal".

    Example:
        >>> import io
        >>> screen = io.StringIO()
        >>> report = terminal_progress(screen, enabled=True)
        >>> report("store", 50, 100)
        >>> report("store", 100, 100)
        >>> "store" in screen.getvalue() and "100/100" in screen.getvalue()
        True
    """
    display = Progress(stream, enabled=enabled)

    def report(stage: str, done: int, total: int) -> None:
        display.show(stage, done, total or None)

    return report

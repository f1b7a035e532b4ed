"""Run every example in the documentation as a test (with Sybil).

Three Sybil instances:

* ``docs``/``readme``: every ``python`` fenced block in ``docs/**/*.md``
  and ``README.md``. Blocks starting with ``>>>`` are checked as doctests;
  the others are executed and must not raise. A block opened with
  ````` ```python title="path/to/file.py" ````` is the content of a file: it
  is written to that path (relative to the temporary working directory) for
  later blocks to import or run. ``<!-- skip: next -->`` before a block skips
  it. Any other Python-like fence (``py``, ``pycon``, ``python hl_lines=...``)
  is an error, so no example can silently escape testing.
* ``docstrings``: the ``>>>`` examples in the docstrings of
  ``src/relcore/**/*.py``, run with the module's globals.

The examples of one document share one namespace, in page order, and run in a
fresh temporary working directory, so a page creating ``crm.db`` leaves
nothing behind in the repository.

Because the examples of a document depend on each other, they must run in one
process, in order. Under pytest-xdist this file makes the scheduler send all
examples of a document to the same worker (see
:func:`pytest_xdist_make_scheduler`); other tests are distributed as usual.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sybil import Document, Example, Region, Sybil
from sybil.integration.pytest import pytest_integration as _sybil_collector
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer
from sybil.parsers.rest import DocTestParser
from sybil.typing import Parser

OPTIONFLAGS = ELLIPSIS | NORMALIZE_WHITESPACE

# No test may depend on wall-clock time: hypothesis's deadline and its "too slow"
# health check would fail examples on a loaded or slower machine.
settings.register_profile("relcore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("relcore")

_CWD = "_sybil_previous_cwd"
_TMP = "_sybil_tmp_dir"


def _enter_tmp_dir(namespace: dict[str, Any]) -> None:
    """Run the document's examples in a fresh temporary directory."""
    namespace[_CWD] = os.getcwd()
    namespace[_TMP] = tempfile.mkdtemp(prefix="relcore-docs-")
    os.chdir(namespace[_TMP])


def _leave_tmp_dir(namespace: dict[str, Any]) -> None:
    """Close what the page left open, go back, and delete the temporary directory."""
    # A CRM not used in a ``with`` block still holds its database files.
    for value in list(namespace.values()):
        close = getattr(value, "close", None)
        if type(value).__name__ == "CRM" and callable(close):
            close()
    os.chdir(namespace.pop(_CWD))
    shutil.rmtree(namespace.pop(_TMP), ignore_errors=True)
    namespace.clear()


class FileBlockParser:
    """Write ```` ```python title="name.py" ```` blocks to ``name.py``."""

    lexer = RawFencedCodeBlockLexer(
        info_pattern=re.compile(r'python[ \t]+title="(?P<path>[^"]+)"[ \t]*$\n', re.MULTILINE),
    )

    def __call__(self, document: Document) -> Iterable[Region]:
        """Yield a region per file block of ``document``."""
        for region in self.lexer(document):
            region.parsed = (region.lexemes["path"], str(region.lexemes["source"]))
            region.evaluator = self.evaluate
            yield region

    @staticmethod
    def evaluate(example: Example) -> None:
        """Check the block compiles, then write it to its path."""
        relative, source = example.parsed
        path = Path(relative)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(f"file blocks must use a relative path inside the page's directory: {relative}")
        compile(source, relative, "exec")  # a syntax error fails here, at its block
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


class UntestedPythonParser:
    """Fail on Python-like fences that no other parser runs."""

    lexer = RawFencedCodeBlockLexer(
        info_pattern=re.compile(r"(?P<info>(?:py|python|python3|pycon)(?:[ \t][^\n]*)?)$\n", re.MULTILINE),
    )
    _accepted = re.compile(r'python([ \t]+title="[^"]+")?[ \t]*')

    def __call__(self, document: Document) -> Iterable[Region]:
        """Yield a failing region per Python-like fence nobody else runs."""
        for region in self.lexer(document):
            info = region.lexemes["info"]
            if not self._accepted.fullmatch(info):
                region.parsed = info
                region.evaluator = self.evaluate
                yield region

    @staticmethod
    def evaluate(example: Example) -> None:
        """Fail, saying how to make the block tested."""
        raise ValueError(
            f"fence {example.parsed!r} would not be tested: use plain ```python, "
            '```python title="file.py", or mark the block with <!-- skip: next -->'
        )


_markdown_parsers: list[Parser] = [
    PythonCodeBlockParser(doctest_optionflags=OPTIONFLAGS),
    FileBlockParser(),
    UntestedPythonParser(),
    SkipParser(),
]

# Sybil matches patterns against the path relative to ``path``, anchored at
# the right and without recursive ``**``: "*.md" under docs/ means every page.
doc_pages = Sybil(
    name="docs",
    path="docs",
    parsers=_markdown_parsers,
    patterns=["*.md"],
    setup=_enter_tmp_dir,
    teardown=_leave_tmp_dir,
)

readme = Sybil(
    name="readme",
    parsers=_markdown_parsers,
    patterns=["README.md"],
    excludes=["*/README.md"],
    setup=_enter_tmp_dir,
    teardown=_leave_tmp_dir,
)

docstrings = Sybil(
    name="docstrings",
    path="src/relcore",
    parsers=[DocTestParser(optionflags=OPTIONFLAGS)],
    patterns=["*.py"],
    excludes=["__main__.py", "storage/sql/migrations/*", "storage/sql/migrations/*/*"],
    setup=_enter_tmp_dir,
    teardown=_leave_tmp_dir,
)

pytest_collect_file = _sybil_collector(doc_pages, readme, docstrings)


def _is_sybil_example(nodeid: str) -> bool:
    """Whether ``nodeid`` names an example collected by the Sybils above."""
    _, sep, name = nodeid.partition("::")
    return bool(sep) and name.startswith("sybil:")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Keep the examples of one document on one worker, in order.

    Scheduling is by "scope": all examples of a document form one scope,
    every other test is a scope of its own, so ordinary tests spread over
    the workers much as with ``--dist load``. Only ``load`` (what ``-n``
    uses unless told otherwise) is replaced; other ``--dist`` modes are left
    to pytest-xdist.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class DocumentScopeScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if _is_sybil_example(nodeid):
                return nodeid.partition("::")[0]
            return nodeid

    return DocumentScopeScheduling(config, log)

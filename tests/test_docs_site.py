"""The documentation: the site builds cleanly, and the tutorials run twice.

The API reference is rendered by mkdocstrings from the docstrings, which are
Markdown: a Sphinx role (``:class:`X```) or a cross-reference autorefs could
not resolve (``[X][relcore.x]``) would show up as literal text on the page.
Public signatures name public types only.

Every example is also run by the root ``conftest.py``, each page in a fresh
folder; a reader runs a tutorial again in the folder they used the first
time, so each tutorial is also run twice in a row in one folder here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import griffe
import pytest

ROOT = Path(__file__).resolve().parents[1]

# ":class:" followed by a name: the role as the page shows it (the backticks became <code>).
RAW_ROLE = re.compile(r"(?<![\w:]):(?:py:)?(?:class|meth|func|attr|mod|data|exc|obj|const):[`~\w]")
# "][" outside code: what autorefs leaves of a reference link it could not resolve.
UNRESOLVED_REFERENCE = re.compile(r"\]\[[^\]\s]*\]")


# A name starting with one underscore, anywhere in an annotation: "_Fit", "list[_Fit]", "m._Fit".
PRIVATE_NAME = re.compile(r"(?<![\w])_[A-Za-z]\w*")
DIRECTIVE = re.compile(r"^::: (relcore[\w.]*)\s*$", re.MULTILINE)


class _PageText(HTMLParser):
    """A page's text: all of it, and the prose outside code."""

    def __init__(self) -> None:
        super().__init__()
        self.all: list[str] = []
        self.prose: list[str] = []
        self._skip = 0
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("code", "pre"):
            self._code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("code", "pre"):
            self._code -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.all.append(data)
        if not self._code:
            self.prose.append(data)


def _excerpt(text: str, match: re.Match[str]) -> str:
    return " ".join(text[max(match.start() - 60, 0) : match.end() + 60].split())


def test_the_site_builds_strictly_without_raw_roles_or_unresolved_references(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # Strict mode fails on cross-references it cannot resolve on rendered pages.
    assert build.returncode == 0, build.stderr[-4000:]

    pages = sorted(site.rglob("*.html"))
    assert any(page.parent.name == "crm" for page in pages)  # the API reference was built
    problems = []
    for page in pages:
        parser = _PageText()
        parser.feed(page.read_text(encoding="utf-8"))
        text, prose = "".join(parser.all), "".join(parser.prose)
        where = page.relative_to(site)
        problems += [f"{where}: raw role: {_excerpt(text, m)}" for m in RAW_ROLE.finditer(text)]
        unresolved = UNRESOLVED_REFERENCE.finditer(prose)
        problems += [f"{where}: unresolved reference: {_excerpt(prose, m)}" for m in unresolved]
    assert not problems, "\n".join(problems)


def _documented_modules() -> list[str]:
    pages = sorted((ROOT / "docs" / "reference").glob("*.md"))
    return sorted({name for page in pages for name in DIRECTIVE.findall(page.read_text(encoding="utf-8"))})


def _public_members(obj: griffe.Object | griffe.Alias) -> list[griffe.Object]:
    """The public objects the reference renders under ``obj``, resolved."""
    found: list[griffe.Object] = []
    for name, member in obj.members.items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, griffe.Alias):
            if obj.is_module and name not in (obj.exports or ()):
                continue  # an import, not a re-export
            target = member.final_target
        else:
            target = member
        if isinstance(target, griffe.Function | griffe.Class | griffe.Attribute):
            found.append(target)
    return found


def _annotations(obj: griffe.Object) -> list[tuple[str, str]]:
    if isinstance(obj, griffe.Function):
        named = [(parameter.name, parameter.annotation) for parameter in obj.parameters]
        return [(name, str(text)) for name, text in [*named, ("return", obj.returns)] if text is not None]
    if isinstance(obj, griffe.Attribute) and obj.annotation is not None:
        return [("annotation", str(obj.annotation))]
    return []


def test_public_signatures_name_only_public_types() -> None:
    package = griffe.load("relcore", search_paths=[ROOT / "src"], resolve_aliases=True)
    modules = _documented_modules()
    assert "relcore.value.models.plots" in modules
    problems = []
    for module_path in modules:
        module = package[module_path.removeprefix("relcore.")] if module_path != "relcore" else package
        todo = _public_members(module)
        while todo:
            obj = todo.pop()
            if isinstance(obj, griffe.Class):
                todo += _public_members(obj)
            problems += [
                f"{obj.path} ({where}): {text}"
                for where, text in _annotations(obj)
                if PRIVATE_NAME.search(text)
            ]
    assert not problems, "\n".join(sorted(set(problems)))


# "pip install relcore", "pip install 'relcore[plot]'": a download by name from the package index.
INDEX_INSTALL = re.compile(r"""pip3? install +(?:-U +)?['"]?relcore\b""")


def test_no_page_installs_relcore_from_the_package_index() -> None:
    """relcore is not published yet: the docs install it from a clone or a built wheel."""
    texts = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "src" / "relcore").rglob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in texts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INDEX_INSTALL.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_wheels_the_install_guide_names_are_this_version() -> None:
    guide = (ROOT / "docs" / "how-to" / "install.md").read_text(encoding="utf-8")
    named = re.findall(r"relcore-([^-/\s]+)-py3-none-any\.whl", guide)
    assert named
    assert set(named) - {"<version>"} == {importlib.metadata.version("relcore")}


def test_the_home_page_links_every_tutorial_and_guide() -> None:
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    pages = [*(ROOT / "docs" / "tutorials").glob("*.md"), *(ROOT / "docs" / "how-to").glob("*.md")]
    assert len(pages) >= 6
    missing = [page.name for page in pages if f"]({page.relative_to(ROOT / 'docs').as_posix()})" not in home]
    assert not missing


TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.md"))


def _run_page(page: Path) -> None:
    """Run a page's examples in order in the current folder, as the docs tests do."""
    document = importlib.import_module("conftest").doc_pages.parse(page)  # the root conftest's Sybil
    try:
        for example in document:
            example.evaluate()
    finally:  # as the program ending would: close what the page left open
        for value in document.namespace.values():
            if type(value).__name__ == "CRM":
                value.close()


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda page: page.stem)
def test_a_tutorial_runs_twice_in_the_same_folder(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _run_page(page)
    _run_page(page)

"""The public API: every exported name exists, is documented, and nothing is forgotten."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import relcore

PUBLIC_MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(relcore.__path__, "relcore.")
    if not any(part.startswith("_") for part in name.split(".")) and ".migrations" not in name
)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_names_exist_and_have_docstrings(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__, f"{module_name} has no module docstring"
    for name in getattr(module, "__all__", ()):
        value = getattr(module, name)  # raises if __all__ names something missing
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module_name}.{name} has no docstring"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_is_complete(module_name: str) -> None:
    module = importlib.import_module(module_name)
    if not hasattr(module, "__all__"):
        pytest.skip(f"{module_name} re-exports nothing")
    defined_here = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == module_name
    }
    missing = defined_here - set(module.__all__)
    assert not missing, f"{module_name}.__all__ lacks {sorted(missing)}"


def test_top_level_exports_the_error_tree() -> None:
    for name in ("RelcoreError", "ValidationError", "NotFoundError", "ConflictError", "StorageError"):
        assert issubclass(getattr(relcore, name), relcore.RelcoreError)
    assert issubclass(relcore.ValidationError, ValueError)
    assert issubclass(relcore.NotFoundError, LookupError)

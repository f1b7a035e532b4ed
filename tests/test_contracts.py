"""The storage contract, run on every backend of the ``store_factory`` fixture."""

from relcore.testing.contracts import StoreContract


class TestStore(StoreContract):
    """Every backend from ``tests/conftest.py`` against the whole contract."""

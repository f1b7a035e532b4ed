"""Tools for testing code that uses relcore, and backends written for it.

:mod:`relcore.testing.contracts` holds the contract suite that every storage
backend must pass. The modules of this package import pytest; the rest of
relcore never imports them.
"""

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed to run the suites
    pass
else:
    pytest.register_assert_rewrite(
        *(f"relcore.testing.{name}" for name in (
            "contracts", "_contract_activity", "_contract_consents", "_contract_contacts",
            "_contract_customers", "_contract_support", "_contract_timeline", "_contract_uow",
        ))
    )

__all__ = ["contracts"]

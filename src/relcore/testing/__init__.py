"""Tools for testing code that uses relcore, and backends written for it.

* [`relcore.testing.contracts`][]: the contract suite every storage backend
  must pass (needs pytest and hypothesis, the ``testing`` extra).
* [`relcore.testing.strategies`][]: hypothesis strategies for every entity.
* [`relcore.testing.synthetic`][]: a reproducible synthetic shop, for demos
  and benchmarks (no test dependencies).
* [`relcore.testing.events`][]: [`capture_events`][relcore.testing.events.capture_events],
  the domain events a CRM delivers during a ``with`` block, for the tests of
  your application (no test dependencies; re-exported here).

Import the module you need; this package itself exports only
``capture_events`` and its [`CapturedEvents`][relcore.testing.events.CapturedEvents],
and importing it needs neither pytest nor hypothesis.
"""

from relcore.testing.events import CapturedEvents, capture_events

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed to run the suites
    pass
else:
    from relcore.registry import CONTEXTS

    # pytest rewrites the asserts of these modules (to report values) only if told before they load:
    # the shared contract modules, and each registered context's contract modules
    pytest.register_assert_rewrite(
        "relcore.testing.contracts",
        "relcore.testing._contract_aggregate",
        "relcore.testing._contract_keys",
        "relcore.testing._contract_support",
        "relcore.testing._contract_uow",
        *sorted({path.partition(":")[0] for context in CONTEXTS for path in context.contracts}),
        *sorted({path.partition(":")[0] for context in CONTEXTS if (path := context.snapshot)}),
    )

__all__ = ["CapturedEvents", "capture_events"]

"""The feedback tests import the context's contract module: let pytest rewrite its asserts first."""

import relcore.testing  # noqa: F401  (registers the contract modules for assert rewriting)

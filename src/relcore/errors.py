"""The one error hierarchy of relcore.

Every error relcore raises on purpose is a [`RelcoreError`][relcore.errors.RelcoreError]. Where a
builtin exception already names the situation, the relcore error subclasses it
too, so ``except ValueError`` and ``except LookupError`` keep working in host
code that does not know relcore:

    RelcoreError
    ├── ValidationError(ValueError)       bad input, named by field path
    │   └── InvalidRuleError              a segment rule relcore refuses
    ├── NotFoundError(LookupError)        no entity with that id or key
    ├── ConflictError                     stale version, duplicate id or key
    ├── StorageError                      the database failed (driver errors)
    │   ├── TransientStorageError         lost a race for a lock; safe to repeat
    │   └── SchemaVersionError            the schema is not at relcore's head
    ├── ConfigurationError                relcore was set up wrongly
    └── ConvergenceError                  a value model's fit did not converge
                                          (defined in relcore.value.models.errors)
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "FieldError",
    "InvalidRuleError",
    "NotFoundError",
    "RelcoreError",
    "SchemaVersionError",
    "StorageError",
    "TransientStorageError",
    "ValidationError",
]


class RelcoreError(Exception):
    """Base class of every error relcore raises on purpose."""


class FieldError:
    """One problem with one field of the input.

    Attributes:
        path: Dotted path of the field (``"points[0].value"``), or ``""`` for
            the input as a whole.
        problem: What is wrong with the value, in plain words.
    """

    __slots__ = ("path", "problem")

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem

    def __repr__(self) -> str:
        return f"FieldError({self.path!r}, {self.problem!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldError):
            return NotImplemented
        return (self.path, self.problem) == (other.path, other.problem)

    def __hash__(self) -> int:
        return hash((self.path, self.problem))

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


class ValidationError(RelcoreError, ValueError):
    """Input that relcore refuses; nothing was stored.

    The message lists every offending field with its path; the same
    information is available, structured, as `errors`.

    Args:
        errors: The problems found, at least one.
    """

    def __init__(self, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("ValidationError needs at least one FieldError")
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    @classmethod
    def single(cls, path: str, problem: str) -> ValidationError:
        """Build the error for one problem with one field."""
        return cls([FieldError(path, problem)])

    @property
    def paths(self) -> tuple[str, ...]:
        """The field paths named by the errors, in order."""
        return tuple(e.path for e in self.errors)

    def prefixed(self, prefix: str) -> ValidationError:
        """Return the same errors with ``prefix`` put before every path."""
        return ValidationError([FieldError(_join(prefix, e.path), e.problem) for e in self.errors])


class InvalidRuleError(ValidationError):
    """A segment rule that relcore refuses.

    An unknown field, operator or node, a value of the wrong type, or a rule
    deeper or larger than the limits. Each [`FieldError`][relcore.errors.FieldError] path points at the
    offending node, for example ``rules[2].value`` or ``rule.where[0].field``. Raised for rules built in
    Python, read from JSON or parsed from text alike, so a rule from an
    untrusted source can fail in this one way only.
    """


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    if path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


class NotFoundError(RelcoreError, LookupError):
    """No entity has the id or key that was asked for.

    The message shows the key only if it is an id relcore made (a UUID); a
    key such as a segment name may be personal data, and messages end up in
    logs. The key itself stays available as `key`.

    Args:
        kind: The kind of entity (``"customer"``, ``"contact"``, ...).
        key: The id or key that found nothing.
    """

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        shown = f"id {key}" if type(key) is UUID else "the key given"
        super().__init__(f"no {kind} with {shown}")


class ConflictError(RelcoreError):
    """A write lost against another: stale version or a duplicate id or key."""


class StorageError(RelcoreError):
    """The storage backend failed; the driver's exception is the cause."""


class TransientStorageError(StorageError):
    """The database gave up on the work because of other transactions; nothing was stored.

    Raised for a deadlock, a serialization failure, a lock wait that timed
    out, or a SQLite database that stayed locked for longer than the busy
    timeout. The unit of work was rolled back as a whole, so repeating the
    same call (after a short pause, a bounded number of times) is safe and
    will usually succeed. Inside a transaction of your own (a connection
    handed to relcore), repeat your whole transaction: the database may have
    rolled all of it back. Imports repeat themselves before raising it: each
    chunk a few times, and the whole import of a list or tuple too.

    Unlike [ConflictError][relcore.errors.ConflictError], which says the data
    disagrees (a stale version, a key that is taken), this error says nothing
    about the data.
    """


class SchemaVersionError(StorageError):
    """The database schema is not at the revision this relcore expects."""


class ConfigurationError(RelcoreError):
    """relcore was given settings it cannot work with."""

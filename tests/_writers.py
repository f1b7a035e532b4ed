"""The writer process of the concurrency probe (tests/test_concurrency.py).

Kept apart from the test module so that a spawned child imports only this.
Each writer adds customers whose identities other writers also claim, saves
one shared customer with its version checked, and imports touchpoint batches
whose keys overlap other writers' batches. It reports every call and its
outcome; the test then checks the store against the reports.
"""

from __future__ import annotations

import random
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from relcore import CRM, Customer, Identity, Touchpoint
from relcore.errors import ConflictError, TransientStorageError
from relcore.ids import CustomerId

IDENTITIES = 12
"""Identity keys per run; every writer tries to claim each of them."""

BATCHES = 5
BATCH = 120
"""Touchpoint imports per writer and rows per import."""

START = datetime(2025, 1, 1, tzinfo=UTC)


def batch_keys(writer: int, batch: int) -> list[str]:
    """The external ids of one import: windows that overlap the other writers' windows."""
    first = batch * 60 + writer * 25
    return [f"k{n:05d}" for n in range(first, first + BATCH)]


def run(target: str, writer: int, shared: str, start: Any, out: Any) -> None:
    """Do the writer's calls once ``start`` opens; put ``(reports, crash)`` on ``out``."""
    reports: list[tuple[Any, ...]] = []
    try:
        crm = CRM.open(target, upgrade=False)
        shared_id = CustomerId(UUID(shared))
        start.wait()
        for step in range(IDENTITIES):
            _add(crm, reports, writer, (step + writer) % IDENTITIES)
            _save(crm, reports, writer, shared_id, step)
            if step % 2 == 0 and step // 2 < BATCHES:
                _import(crm, reports, writer, shared_id, step // 2)
        crm.close()
    except BaseException:
        out.put((reports, traceback.format_exc()))
        return
    out.put((reports, None))


def _outcome(error: BaseException) -> tuple[str, str]:
    return type(error).__name__, str(error)


def _add(crm: CRM, reports: list[tuple[Any, ...]], writer: int, key: int) -> None:
    customer = Customer.person(f"Writer {writer} for key {key}", identities=[Identity("race", f"id-{key}")])
    try:
        crm.customers.add(customer)
    except (ConflictError, TransientStorageError) as error:
        reports.append(("add", str(customer.id), key, *_outcome(error)))
    else:
        reports.append(("add", str(customer.id), key, "ok", ""))


def _save(crm: CRM, reports: list[tuple[Any, ...]], writer: int, shared: CustomerId, step: int) -> None:
    name = f"saved by {writer} at {step}"
    try:
        stored = crm.customers.get(shared)
        saved = crm.customers.save(attrs.evolve(stored, name=name))
    except (ConflictError, TransientStorageError) as error:
        reports.append(("save", name, None, *_outcome(error)))
    else:
        reports.append(("save", name, saved.version, "ok", ""))


def _import(crm: CRM, reports: list[tuple[Any, ...]], writer: int, shared: CustomerId, batch: int) -> None:
    keys = batch_keys(writer, batch)
    sent = list(keys)
    random.Random(writer * 1000 + batch).shuffle(sent)  # each feed sends its rows in its own order
    touchpoints = [
        Touchpoint(
            customer_id=shared,
            channel="web",
            direction="inbound",
            occurred_at=START + timedelta(minutes=int(key[1:])),
            source="feed",
            external_id=key,
        )
        for key in sent
    ]
    try:
        new = crm.activity.import_touchpoints(touchpoints, chunk_size=50)
    except (ConflictError, TransientStorageError) as error:
        reports.append(("import", tuple(keys), None, *_outcome(error)))
    else:
        reports.append(("import", tuple(keys), new, "ok", ""))

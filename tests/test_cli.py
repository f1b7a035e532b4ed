"""The command line: ``relcore demo``."""

from __future__ import annotations

import importlib.metadata
import io
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from relcore import CRM, Customer
from relcore.cli import main, run_demo
from relcore.cli._progress import Progress
from relcore.cli.commands import case_messages
from relcore.consent.model import may_contact
from relcore.errors import StorageError, ValidationError
from relcore.testing.synthetic import SyntheticShop
from relcore.testing.synthetic_marketing import CONSENT_SOURCES, recorded

END = SyntheticShop().end


def demo(path: Path, *extra: str) -> list[str]:
    return ["demo", "--path", str(path), "--customers", "150", "--seed", "1", "--no-progress", *extra]


def section(text: str, title: str) -> dict[str, list[str]]:
    """Return the rows of the table titled ``title``, by first cell (the header row dropped)."""
    block = text.split(f"\n{title}", 1)[1].split("\n\n", 1)[0]
    rows = [re.split(r"\s{2,}", line.strip()) for line in block.splitlines()[2:]]
    return {row[0]: row[1:] for row in rows}


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    out = io.StringIO()
    assert run_demo(path, customers=150, seed=1, out=out) == 0
    return path, out.getvalue()


def test_the_summary_agrees_with_the_store(built: tuple[Path, str]) -> None:
    path, text = built
    stored = {name: number(cells[0]) for name, cells in section(text, "Stored").items()}
    stages = section(text, "Customers by lifecycle stage")
    channels = section(text, "Touchpoints by channel")
    money = section(text, "Transactions by currency (revenue: orders less refunds)")
    with CRM.open(path) as crm, crm.unit_of_work() as uow:
        assert stored["customers"] == uow.customers.count() == 150
        campaign_touchpoints, campaign_orders = recorded(uow)
        assert campaign_touchpoints > 0
        assert (
            stored["touchpoints"]
            == uow.touchpoints.count() - case_messages(uow) - campaign_touchpoints
            > 1000
        )
        assert stored["transactions"] == uow.transactions.count() - campaign_orders > 100
        customers = [c for page in _pages(crm) for c in page]
        assert sum(number(cells[0]) for cells in stages.values()) == 150
        for stage, cells in stages.items():
            assert number(cells[0]) == sum(c.stage == stage for c in customers)
        reach = section(text, "Consent coverage: customers who may get marketing on 2025-01-01")
        ledgers = [
            [r for r in crm.consent.history(c.id) if r.source not in CONSENT_SOURCES] for c in customers
        ]  # the shop's answers, without the campaign's unsubscribes
        for channel in ("email", "sms"):
            allowed = sum(may_contact(ledger, "marketing", channel, END) for ledger in ledgers)
            assert number(reach[channel][0]) == allowed
    assert sum(number(cells[0]) for cells in channels.values()) == stored["touchpoints"]
    assert sum(sum(number(c) for c in cells[:3]) for cells in money.values()) == stored["transactions"]
    assert set(money) <= {"EUR", "USD", "GBP"}
    assert set(section(text, "Customers by type")) == {"person", "organization"}


def test_the_campaign_part_adds_up(built: tuple[Path, str]) -> None:
    path, text = built
    audience = {
        name: number(cells[0])
        for name, cells in section(text, "Audience, every customer with its reason").items()
    }
    left_out = sum(n for name, n in audience.items() if name.startswith("left out"))
    assert audience["considered"] == audience["members"] + left_out > 0
    results = section(text, "Results by variant on 2025-01-01 (95 % intervals)")
    assert set(results) == {"a", "b", "holdout (control)"}
    with CRM.open(path) as crm:
        campaign = crm.campaigns.find("Spring newsletter")
        assert campaign is not None
        considered = crm.campaigns.members(campaign.id, excluded=None)
        assert len(considered) == audience["considered"]
        assert sum(number(cells[0]) for cells in results.values()) == sum(
            1 for m in considered if m.excluded is None or m.excluded.value == "control_group"
        )
    assert "Revenue attributed to the campaign" in text
    assert re.search(r"\nWhy does .+ score [0-9.]+\?\n  total ", text)


def _pages(crm: CRM) -> list[tuple[Customer, ...]]:
    pages, after = [], None
    while True:
        page = crm.customers.list(after=after, limit=100)
        pages.append(page.items)
        if page.next_after is None:
            return pages
        after = page.next_after


def test_the_sample_timeline_is_a_table_of_the_latest_entries(built: tuple[Path, str]) -> None:
    path, text = built
    title = re.search(r"\nTimeline of (.+) \((\w+), (\w+), (\d+) transactions\): latest (\d+), UTC\n", text)
    assert title is not None
    rows = text.split(title.group(0), 1)[1].split("\n\n", 1)[0].splitlines()
    assert rows[0].split() == ["when", "channel", "kind", "direction", "what"]
    assert len(rows) - 1 == int(title.group(5)) == 10
    shown = [row.strip()[:16] for row in rows[1:]]
    with CRM.open(path) as crm:  # names repeat: one of the customers of that name has this timeline
        namesakes = [c for page in _pages(crm) for c in page if c.name == title.group(1)]
        timelines = [
            [f"{e.occurred_at:%Y-%m-%d %H:%M}" for e in crm.activity.timeline(c.id, limit=10)]
            for c in namesakes
        ]
    assert shown in timelines


def test_rebuild_replaces_the_demo_and_keep_reuses_it(
    built: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "again.db"
    assert main(demo(path)) == 0
    first = capsys.readouterr()
    assert first.err == ""
    assert main(demo(path)) == 0  # rebuilt from scratch: same data, not twice as much
    assert _tables(capsys.readouterr().out) == _tables(first.out) == _tables(built[1])
    size = path.stat().st_mtime_ns
    assert main(["demo", "--path", str(path), "--keep", "--customers", "9", "--no-progress"]) == 0
    kept = capsys.readouterr().out
    assert _tables(kept) == _tables(first.out)
    assert "Kept" in kept
    assert "--customers 150 --seed 1" in kept
    assert path.stat().st_mtime_ns == size


def _tables(text: str) -> str:
    return text.rsplit("\n\n", 1)[0]  # all but the closing line, which has the time taken


def test_keep_without_a_demo_builds_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(demo(tmp_path / "new.db", "--keep")) == 0
    assert "Built" in capsys.readouterr().out


def _plain_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE precious (x)")
    connection.close()


def _relcore_store(path: Path) -> None:
    with CRM.open(path) as crm:
        crm.customers.add(Customer.person("Ada Lovelace", identities=[("shop", "C0000000")]))


@pytest.mark.parametrize("make", [_plain_sqlite, _relcore_store, lambda p: p.write_text("keep me")])
def test_other_files_are_never_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object
) -> None:
    path = tmp_path / "precious.db"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    assert main(demo(path)) == 1
    assert path.read_bytes() == before
    err = capsys.readouterr().err
    assert err.startswith("relcore: error: ")
    assert "not a relcore demo database" in err
    assert err.count("\n") == 1


def test_a_directory_or_an_unreachable_path_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(demo(tmp_path)) == 1
    assert main(demo(tmp_path / "missing" / "demo.db")) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("relcore: error: ") for line in lines)


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (
            ValidationError.single("a", "first problem\nsecond line"),
            1,
            "relcore: error: a: first problem second line",
        ),
        (StorageError("the disk is full"), 1, "relcore: error: the disk is full"),
        (PermissionError("no entry"), 1, "relcore: error: no entry"),
        (KeyboardInterrupt(), 130, "relcore: interrupted"),
    ],
)
def test_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    error: BaseException,
    status: int,
    message: str,
) -> None:
    def failing(*args: object, **kwargs: object) -> int:
        raise error

    monkeypatch.setattr("relcore.cli.commands.run_demo", failing)
    assert main(demo(tmp_path / "x.db")) == status
    assert capsys.readouterr().err == message + "\n"


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["demo", "--customers", "0"], ["demo", "--customers", "many"], ["demo", "--bogus"]],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "usage: relcore" in capsys.readouterr().err


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"relcore {importlib.metadata.version('relcore')}\n"
    done = subprocess.run(
        [sys.executable, "-m", "relcore", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"relcore {importlib.metadata.version('relcore')}\n")


def test_python_dash_m_relcore_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "relcore", "demo", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    for option in ("--path", "--customers", "--seed", "--keep", "--no-progress"):
        assert option in done.stdout


def test_progress_draws_phase_count_total_and_rate_on_request() -> None:
    screen = io.StringIO()
    progress = Progress(screen, enabled=True)
    assert list(progress.track(range(5), "phase", total=5)) == [0, 1, 2, 3, 4]
    assert list(progress.track(iter("ab"), "letters")) == ["a", "b"]
    lines = screen.getvalue().split("\n")
    assert "phase" in lines[0]
    assert "5/5" in lines[0]
    assert "/s" in lines[0]
    assert "letters" in lines[1]
    assert lines[2] == ""


def test_progress_is_silent_off_a_terminal() -> None:
    screen = io.StringIO()  # not a TTY
    progress = Progress(screen)
    assert not progress.enabled
    assert list(progress.track(range(3), "phase", total=3)) == [0, 1, 2]
    progress.end_line()
    assert screen.getvalue() == ""


def test_a_line_left_open_by_a_failure_is_finished() -> None:
    def slow_then_broken() -> Iterator[int]:
        yield 1
        time.sleep(0.15)
        yield 2
        raise StorageError("down")

    screen = io.StringIO()
    progress = Progress(screen, enabled=True)
    with pytest.raises(StorageError):
        list(progress.track(slow_then_broken(), "phase", total=10))
    assert "2/10" in screen.getvalue()
    assert not screen.getvalue().endswith("\n")
    progress.end_line()
    progress.end_line()
    assert screen.getvalue().endswith("/s\x1b[K\n")

"""The command line: ``relcore demo``."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from relcore import CRM
from relcore._progress import Progress
from relcore.cli import main, run_demo


def test_demo_builds_the_store_it_summarizes(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    out = io.StringIO()
    assert run_demo(path, customers=150, seed=1, progress=Progress(enabled=False), out=out) == 0
    text = out.getvalue()
    for section in (
        "Customers by stage",
        "Touchpoints by channel",
        "Revenue",
        "Consent coverage",
        "Timeline of",
    ):
        assert section in text
    found = re.search(r"customers ([\d,]+) .*touchpoints ([\d,]+), transactions ([\d,]+)", text)
    assert found is not None
    customers, touchpoints, transactions = (int(g.replace(",", "")) for g in found.groups())
    with CRM.open(path) as crm, crm.unit_of_work() as uow:
        assert customers == 150 == uow.customers.count() - 1  # one marker customer
        assert touchpoints == uow.touchpoints.count() > 0
        assert transactions == uow.transactions.count() > 0


def test_demo_rebuilds_its_own_file_but_refuses_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.db"
    assert main(["demo", "--path", str(path), "--customers", "20", "--no-progress"]) == 0
    assert main(["demo", "--path", str(path), "--customers", "20", "--no-progress"]) == 0
    other = tmp_path / "precious.txt"
    other.write_text("keep me")
    assert main(["demo", "--path", str(other), "--customers", "20", "--no-progress"]) == 1
    assert other.read_text() == "keep me"
    assert "not a relcore demo" in capsys.readouterr().err


def test_progress_draws_on_request() -> None:
    stream = io.StringIO()
    assert list(Progress(stream, enabled=True).track(range(5), "phase", total=5)) == [0, 1, 2, 3, 4]
    assert "phase" in stream.getvalue()
    assert "5/5" in stream.getvalue()


@pytest.mark.parametrize("argv", [[], ["demo", "--customers", "0"], ["frobnicate"]])
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


def test_python_dash_m_relcore_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "relcore", "demo", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "--customers" in done.stdout

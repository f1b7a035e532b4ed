"""Run every benchmark and collect the ratios they print.

Usage: ``python benchmarks/run.py [--quick]``. ``--quick`` runs each at a
tenth of the issue's sizes (a smoke test, not a measurement). Each benchmark
measures its baseline in the same run on the same data and prints lines
``RATIO <name>: <value> (target ...)``; this script repeats them at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

BENCHMARKS = {
    "bench_ingest.py": (["--rows", "1000000"], ["--rows", "100000"]),
    "bench_customers.py": (["--customers", "50000"], ["--customers", "5000"]),
    "bench_timeline.py": (["--customers", "100000"], ["--customers", "10000"]),
    "bench_segments.py": (["--customers", "100000"], ["--customers", "10000"]),
    "bench_refresh.py": (["--customers", "100000"], ["--customers", "10000"]),
    "bench_forecast.py": (["--deals", "1000000"], ["--deals", "100000"]),
    "bench_service_analytics.py": (["--cases", "50000"], ["--cases", "5000"]),
    "bench_sla.py": (["--cases", "1000000"], ["--cases", "20000"]),
    "bench_win_probability.py": ([], ["--closed", "20000", "--open", "100000"]),
    "bench_feedback.py": (["--rows", "10000000"], ["--rows", "1000000"]),
    "bench_calendars.py": (["--pairs", "1000000"], ["--pairs", "100000"]),
    "bench_attribution.py": (["--customers", "100000"], ["--customers", "10000"]),
    "bench_scoring.py": (["--customers", "1000000"], ["--customers", "100000"]),
    "bench_audience.py": (["--customers", "1000000"], ["--customers", "100000"]),
    "bench_campaign_results.py": (["--members", "100000"], ["--members", "10000"]),
    "bench_attribution_store.py": (["--orders", "1000000"], ["--orders", "100000"]),
    "bench_value.py": (
        ["--customers", "1000000", "--transactions", "1000000"],
        ["--customers", "100000", "--transactions", "100000"],
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run at a tenth of the sizes")
    args = parser.parse_args()
    ratios: list[str] = []
    for script, (full, quick) in BENCHMARKS.items():
        print(f"\n## {script}", flush=True)
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        print(result.stdout, end="")
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return result.returncode
        ratios += [line for line in result.stdout.splitlines() if line.startswith("RATIO ")]
    print("\n## Summary")
    print("\n".join(ratios))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

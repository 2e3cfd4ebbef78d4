"""bench/http_bench.py runs: a tiny load against `exchange serve --workers 2` (no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_http_bench_runs_and_reports_each_kind(tmp_path: Path) -> None:
    command = [sys.executable, str(REPO / "bench" / "http_bench.py"), "--works", "20"]
    command += ["--requests", "40", "--rate", "100", "--mix", "iswc=1,key=1,outbox=1,upload=1"]
    command += ["--server-workers", "2", "--dir", str(tmp_path), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    kinds = result["kinds"]
    assert set(kinds) == {"iswc", "key", "outbox", "upload", "all"}
    assert kinds["all"]["requests"] == 40 and kinds["all"]["errors"] == 0
    for figures in kinds.values():
        assert figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert result["store"] == {"backend": "sqlite", "works": 20}
    assert result["server_cpu_ms_per_request"] > 0  # the worker processes' CPU is counted
    assert (
        len(list((tmp_path / "data" / "inbox" / "199").glob("CW*"))) == kinds["upload"]["requests"]
    )

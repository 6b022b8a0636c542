"""The benchmark still runs end to end (a smoke test at a tiny size: no timings asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def test_benchmark_builds_a_small_synthetic_briefing_and_reports_every_figure(
    tmp_path: Path,
) -> None:
    report = tmp_path / "bench.json"
    finished = subprocess.run(
        [sys.executable, "bench/run.py", "--articles", "45", "--no-hugo", "--json", str(report)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    [run] = json.loads(report.read_text())["runs"]
    assert run["articles"] == 45
    # 45 articles, 3 editions, their sections and tags, archive, home, pages.
    assert run["pages"] > 50
    for figure in (
        "cold_build_s",
        "cold_build_cpu_user_s",
        "first_cached_cpu_user_s",
        "no_change_rebuild_s",
        "one_edit_rebuild_s",
        "preview_one_edit_s",
        "preview_save_to_written_s",
        "preview_first_start_s",
        "preview_restart_s",
        "search_index_s",
        "search_index_peak_mb",
        "search_index_edit_s",
        "yardstick_markdown_bodies_per_s",
        "yardstick_markdown_bodies_per_s_two_cores",
        "yardstick_new_file_ms",
        "peak_rss_mb",
    ):
        assert run[figure] > 0, figure

"""The benchmarks' way of comparing two sides: fresh processes, alternating, best of five."""

from __future__ import annotations

import sys

import pytest
from support import bench_method


def test_sides_alternate_and_each_runs_in_its_own_process(tmp_path):
    log = tmp_path / "order.txt"
    script = tmp_path / "measure.py"
    script.write_text(
        "import os, sys\n"
        "sys.path.insert(0, sys.argv[3])\n"
        "from support.bench_method import emit\n"
        f"open({str(log)!r}, 'a').write(f'{{sys.argv[2]}}:{{os.getpid()}}\\n')\n"
        "print('chatter that is not a result')\n"
        "emit({'a': 10.0, 'b': 20.0}[sys.argv[2]], precision=os.environ['PRECISION'])\n")
    tests = str(bench_method.__file__).rsplit("/support/", 1)[0]
    runs = bench_method.compare(
        lambda side: [sys.executable, str(script), "--measure", side, tests], ["a", "b"],
        runs=3, env={"PRECISION": "float32"}, progress=None)
    order = [line.split(":") for line in log.read_text().split()]
    assert [side for side, _ in order] == ["a", "b", "b", "a", "a", "b"]
    assert len({pid for _, pid in order}) == 6  # a fresh process every time
    assert runs["a"].values == [10.0] * 3 and runs["b"].extras[0] == {"precision": "float32"}
    assert bench_method.ratio(runs["b"], runs["a"]) == 2.0


def test_the_figure_is_the_best_run_and_the_fast_mode_is_near_it():
    rate = bench_method.Runs("bundle", values=[1490, 2450, 1488, 2600, 2500])
    assert rate.best == 2600 and rate.fast_mode == 2500  # 2450, 2500, 2600 are within 10%
    time = bench_method.Runs("cold start", higher_is_better=False, values=[3.0, 1.2, 1.25, 2.9])
    assert time.best == 1.2 and time.fast_mode == pytest.approx(1.225)
    assert bench_method.ratio(time, bench_method.Runs("x", False, [2.4])) == 2.0
    assert "runs in order: 1,490, 2,450, 1,488, 2,600, 2,500" in rate.line("images/s")


def test_a_run_without_a_result_is_an_error_naming_the_command(tmp_path):
    with pytest.raises(RuntimeError, match="gave no result .exit status 3"):
        bench_method.run_once([sys.executable, "-c", "import sys; sys.exit(3)"])

"""Progress on a non-terminal: the long commands run as a user runs them, with stderr sent to a
pipe (a batch job, CI, ``| tee``), print one log line per stage; ``-q`` silences them, ``-v``
adds the finer steps, and stdout stays as it was. The library itself never prints."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest
from conftest import SMALL_TOML, tiny_config

import escapade
from escapade.cli import main
from escapade.fit import fit

LINE = re.compile(r"^escapade \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) [\w.]+: .+$")
WROTE_RUN = re.compile(r"^wrote \S+ \(1 species, 21x41x8 grid, [\d.]+ s\)$")


def _escapade(*args: str, cwd) -> subprocess.CompletedProcess:
    """``escapade ARGS`` in a fresh interpreter, stdout and stderr to pipes (not terminals)."""
    return subprocess.run(
        [sys.executable, "-m", "escapade.cli", *args],
        cwd=cwd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=300,
    )


def _levels(err: str) -> list[str]:
    lines = err.splitlines()
    assert all(LINE.match(line) for line in lines), err  # every line a log line, no bar
    return [line.split()[2] for line in lines]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(SMALL_TOML)
    return path


def test_run_on_a_pipe_logs_its_stages(config, tmp_path):
    proc = _escapade("run", str(config), "-o", "out.nc", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert WROTE_RUN.match(proc.stdout.strip()) and proc.stdout.count("\n") == 1
    assert set(_levels(proc.stderr)) == {"INFO"}
    err = proc.stderr
    assert re.search(r" INFO model: model built: 1 nuclear species on a 21 x 41 x 8 ", err)
    assert re.search(r" INFO model: solve started: 1 nuclear species$", err, re.M)
    assert re.search(r" INFO model: solve finished: 1 species in \d+\.\d s$", err, re.M)
    assert err.index("solve started") < err.index("solve finished")


def test_quiet_and_verbose(config, tmp_path, capsys):
    out = tmp_path / "out.nc"
    assert main(["run", str(config), "-o", str(out), "--quiet"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    assert main(["run", str(config), "-o", str(out), "-v"]) == 0
    verbose = capsys.readouterr()
    levels = _levels(verbose.err)
    assert "DEBUG" in levels and "INFO" in levels
    assert re.search(r" DEBUG model: solving 1H$", verbose.err, re.M)
    for cap in (quiet, verbose):  # stdout is the same either way
        assert WROTE_RUN.match(cap.out.strip())
    with pytest.raises(SystemExit):  # one or the other
        main(["run", str(config), "-q", "-v"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_main_leaves_logging_as_it_found_it(config, tmp_path, capfd):
    log = logging.getLogger("escapade")
    before = (log.level, list(log.handlers))
    assert main(["run", str(config), "-o", str(tmp_path / "out.nc")]) == 0
    assert (log.level, list(log.handlers)) == before
    capfd.readouterr()
    escapade.solve(escapade.load_config(config))  # the library logs, never prints
    assert capfd.readouterr().err == ""


def test_scan_on_a_pipe_logs_every_point_with_time_and_what_is_left(config, tmp_path):
    args = ["scan", str(config), "--set", "diffusion.tau=0.3,0.6", "-o", "scan.nc"]
    proc = _escapade(*args, "--workers", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote scan.nc (2 points: 2 ok, 0 failed; 2 computed, 0 from")
    err = proc.stderr
    ours = [line for line in err.splitlines() if LINE.match(line) and " scan: " in line]
    assert "started: 2 points (2 values of diffusion.tau), 0 from checkpoints" in ours[0]
    assert "finished: 2 points ok, 0 failed (" in ours[-1]
    done = [re.search(r"point (\d)/2 \(diffusion.tau=(.*)\) done in ([\d.]+) s; (\d) left", line)
            for line in ours[1:-1]]  # fmt: skip
    assert all(done) and len(done) == 2, err
    assert sorted((m[1], m[2]) for m in done) == [("1", "0.3"), ("2", "0.6")]
    assert [m[4] for m in done] == ["1", "0"]
    again = _escapade(*args, "--quiet", cwd=tmp_path)  # resumed from the checkpoints
    assert again.returncode == 0 and "0 computed, 2 from" in again.stdout
    assert " INFO " not in again.stderr


def test_fit_progress_true_without_logging_set_up(tmp_path, capfd):
    cfg = tiny_config(species={"z_max": 6})
    res = fit(cfg, data=["B/C:AMS-02"], free=["modulation.phi_gv"], progress=True)
    err = capfd.readouterr().err
    assert re.search(r"^escapade fit: solve 1 \(start, [\d.]+ s\)  \[1 solves, ", err, re.M), err
    lines: list[str] = []
    fit(cfg, data=["B/C:AMS-02"], free=["modulation.phi_gv"], progress=lines.append)
    assert capfd.readouterr().err == ""
    assert len(lines) == res.n_solves and lines[0].startswith("solve 1 (start")

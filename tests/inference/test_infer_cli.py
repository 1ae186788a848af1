"""``escapade infer`` (issue 19): the contract (summary.json with median, lo68 and hi68 of
every free key), the files, and bad options as one line with exit status 2 and nothing
written."""

from __future__ import annotations

import json

import pytest
from conftest import tiny_toml

from escapade.cli import main

KEYS = ("median", "lo68", "hi68", "lo95", "hi95")


@pytest.fixture
def bc_toml(tmp_path):
    p = tmp_path / "bc.toml"
    p.write_text(tiny_toml(8, species={"z_max": 6}), encoding="utf-8")
    return p


def _summary(out) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_infer_writes_the_summary_the_chain_and_the_figures(bc_toml, tmp_path, capsys):
    out = tmp_path / "DIR"
    argv = ["infer", str(bc_toml), "--data", "B/C:HEAO-3", "--free", "modulation.phi_gv:0:2",
            "--walkers", "4", "--steps", "3", "--seed", "1", "--draws", "2"]  # fmt: skip
    argv += ["-o", str(out)]
    assert main(argv) == 0
    s = _summary(out)
    p = s["parameters"]["modulation.phi_gv"]
    assert all(isinstance(p[k], float) for k in KEYS)
    assert p["lo68"] <= p["median"] <= p["hi68"] and p["prior"] == "uniform:0:2"
    assert s["map"]["chi2"] > 0 and s["diagnostics"]["walkers"] == 4
    for name in ("chain.nc", "best_fit.toml", "corner.png", "predictive_B-C_HEAO-3.png"):
        assert (out / name).is_file(), name
    assert "modulation.phi_gv = " in capsys.readouterr().out
    # the same command again continues (here: finds the chain complete) and agrees
    assert main(argv) == 0
    assert _summary(out)["parameters"] == s["parameters"]


@pytest.mark.slow
def test_infer_contract_d0(bc_toml, tmp_path):
    """The issue's command as written: 8 walkers x 40 steps of D0 (about 3 min)."""
    out = tmp_path / "DIR"
    argv = ["infer", str(bc_toml), "--data", "B/C:HEAO-3", "--free", "diffusion.d0_cm2_s",
            "--walkers", "8", "--steps", "40", "--seed", "1", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    p = _summary(out)["parameters"]["diffusion.d0_cm2_s"]
    assert p["lo68"] < p["median"] < p["hi68"]


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--free", "modulation.phi_gv:0:2", "--walkers", "0"], ["walkers = 0", ">= 2"]),
        (["--free", "diffusion.d0"], ["'diffusion.d0'", "diffusion.d0_cm2_s"]),
        (["--free", "modulation.phi_gv:0:2", "--data", "B/C:NOPE"], ["NOPE"]),
        (
            ["--free", "diffusion.delta", "--prior", "diffusion.delta=uniform:-1:2"],
            ["diffusion.delta", "uniform:-1:2", "[0, 1.5]"],
        ),  # fmt: skip
        (
            ["--free", "modulation.phi_gv", "--prior", "modulation.phi_gv=wide"],
            ["modulation.phi_gv", "'wide'", "loguniform:LO:HI"],
        ),  # fmt: skip
        (["--free", "modulation.phi_gv:0"], ["--free", "KEY:LO:HI"]),
        (["--free", "modulation.phi_gv"], ["modulation.phi_gv", "LO:HI"]),
        (["--free", "modulation.phi_gv:0:2", "--steps", "-1"], ["steps = -1"]),
    ],
)
def test_bad_options_exit_2_with_one_line_and_nothing_written(bc_toml, tmp_path, capsys,
                                                              extra, words):  # fmt: skip
    out = tmp_path / "DIR"
    argv = ["infer", str(bc_toml), "--quiet", "--data", "B/C:HEAO-3", *extra, "-o", str(out)]
    if "B/C:NOPE" in extra:
        argv.remove("B/C:HEAO-3")
        argv.remove("--data")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("escapade: error:"), err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists()

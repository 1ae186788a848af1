"""The command line as a user runs it: run, info, and bad input (exit 2, no file left)."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import tiny_toml

from escapade.cli import main
from escapade.io import open_solution

SMALL = tiny_toml(species={"propagate": ["1H", "4He"]})


def test_run_and_info(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL)
    out = tmp_path / "out.nc"
    assert main(["run", str(cfg), "-o", str(out), "--full"]) == 0
    ds = open_solution(out)
    assert ds.density.dims == ("species", "ekin_gev_per_n", "r_kpc", "z_kpc")
    assert ds.density_midplane.dims == ("species", "ekin_gev_per_n", "r_kpc")
    assert set(ds.species.values) == {"1H", "4He"}
    for name in ("anisotropy", "diffusion_coefficient_sun_cm2_s", "flux_local"):
        assert ds[name].dims == ("species", "ekin_gev_per_n")
        assert np.all(np.isfinite(ds[name].values)) and np.all(ds[name].values >= 0)
    assert "[diffusion]" in ds.attrs["config_toml"] and ds.attrs["escapade_version"]
    assert float(ds.attrs["run_seconds"]) > 0
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "anisotropy" in text and "1H" in text and "run time" in text
    assert list(tmp_path.glob(".*tmp*")) == []


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ("[diffusion]\ntau = 2.0\n", "diffusion.tau = 2.0"),
        ("[diffusion]\nd0_cm2_s = -3e28\n", "diffusion.d0_cm2_s"),
        ("[grid]\nnr = 2\n", "grid.nr = 2"),
        ("[difusion]\ntau = 0.5\n", "did you mean 'diffusion'"),
        ("[grid\n", "not valid TOML"),
    ],
)
def test_bad_config_exit_2_one_line_no_output(tmp_path, capsys, toml, fragment):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    out = tmp_path / "out.nc"
    assert main(["run", str(cfg), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and err.startswith("escapade: error:") and "\n" not in err
    assert not out.exists() and list(tmp_path.glob("*.nc")) == []


def test_unreadable_inputs_exit_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read config file" in capsys.readouterr().err
    junk = tmp_path / "junk.nc"
    junk.write_bytes(b"not a netcdf file")
    assert main(["info", str(junk)]) == 2
    assert "not a readable netCDF4/HDF5 file" in capsys.readouterr().err


def test_failed_run_keeps_previous_output(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL)
    out = tmp_path / "out.nc"
    out.write_bytes(b"previous")
    bad = tmp_path / "bad.toml"
    bad.write_text("[diffusion]\ntau = 9\n")
    assert main(["run", str(bad), "-o", str(out)]) == 2
    assert out.read_bytes() == b"previous"


def test_console_script_entry_point(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[grid]\nnr = 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "escapade.cli", "run", str(cfg), "-o", str(tmp_path / "o.nc")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "grid.nr = 1" in proc.stderr and "Traceback" not in proc.stderr


def test_memory_estimate_refuses_oversized_runs(tmp_path, capsys):
    cfg = tmp_path / "big.toml"
    cfg.write_text("[grid]\nnr = 2001\nnz = 4001\n[solver]\nmemory_limit_gb = 4\n")
    out = tmp_path / "o.nc"
    assert main(["run", str(cfg), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "needs about" in err and "solver.memory_limit_gb = 4.0" in err
    assert not out.exists()


def test_plot_flux_with_data(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL)
    out = tmp_path / "out.nc"
    assert main(["run", str(cfg), "-o", str(out)]) == 0
    fig = tmp_path / "h.png"
    assert main(["plot", str(out), "--flux", "H", "--data", "AMS-02", "-o", str(fig)]) == 0
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a ratio the solution cannot form: one line naming what it holds, exit 2
    assert main(["plot", str(out), "--ratio", "B/C", "--data", "AMS-02"]) == 2
    assert "no species for 'B'" in capsys.readouterr().err
    assert main(["plot", str(out), "--flux", "H", "--data", "AMS-03"]) == 2

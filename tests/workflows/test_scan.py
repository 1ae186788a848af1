"""Parameter scans on a real dask LocalCluster (2 worker processes, shared by the module).

Against truth: every scan point equals a serial ``escapade.solve`` of the same config; a resumed
scan computes only the points missing from its checkpoints; failing points are recorded with
their error while the others finish.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys

import cloudpickle
import numpy as np
import pytest
import xarray as xr
from conftest import ONLY_1H, SMALL_TOML, tiny_config

import escapade
from escapade.cli import main
from escapade.config import dump_config
from escapade.model import local_flux_from_density
from escapade.scan import ScanError, checkpoint_dir, parse_values, reduce_solution, scan
from escapade.species import nuclide

# the module (escapade.scan may also name the function, if the package exports it)
scanmod = importlib.import_module("escapade.scan")
# functions defined here run on the workers: send them by value, not by module name
cloudpickle.register_pickle_by_value(sys.modules[__name__])

BASE = tiny_config(8, species=ONLY_1H)
COMPARED = ("anisotropy", "flux_local", "diffusion_coefficient_sun_cm2_s", "density_sun")


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _points(ds, keys):
    for idx in np.ndindex(ds.status.shape):
        yield idx, {k: ds[k].values[j].item() for k, j in zip(keys, idx, strict=True)}


# ------------------------------------------------------------------ value specs


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ("0:1:11", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
        ("21:41:3", [21, 31, 41]),
        ("0.5:0.5:1", [0.5]),
        ("2e28,3e28", [2e28, 3e28]),
        ("lorimer, ferriere", ["lorimer", "ferriere"]),
        ("true,false", [True, False]),
        ("0.85", [0.85]),
    ],
)
def test_parse_values(spec, values):
    got = parse_values(spec)
    assert got == values and [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize("spec", ["0:1", "0:1:0", "0:1:2.5", "a:b:3", "0:inf:3", "0:1:3:4"])
def test_parse_values_rejects(spec):
    with pytest.raises(ScanError):
        parse_values(spec)


def test_bad_grids_fail_before_starting():
    with pytest.raises(escapade.ConfigError, match="Did you mean 'diffusion.tau'.*Valid keys in"):
        scan(BASE, {"diffusion.tua": [0.1]})
    with pytest.raises(ScanError, match="repeated values 0.5"):
        scan(BASE, {"diffusion.tau": [0.5, 0.2, 0.5]})
    with pytest.raises(ScanError, match="empty"):
        scan(BASE, {})
    with pytest.raises(ScanError, match="local cluster only"):
        scan(BASE, {"diffusion.tau": [0.5]}, client="tcp://127.0.0.1:1", workers=2)


# ------------------------------------------------------------- on the cluster


def test_scan_equals_serial_solves(client, tmp_path):
    grid = {"diffusion.tau": [0.0, 0.5, 1.0], "diffusion.d0_cm2_s": [2e28, 4e28]}
    out = tmp_path / "scan.nc"
    ds = scan(BASE, grid, client=client, output=out, progress=False)
    dims = ("diffusion.tau", "diffusion.d0_cm2_s")
    assert ds.anisotropy.dims == (*dims, "species", "ekin_gev_per_n")
    assert ds.run_seconds.dims == dims
    assert "density_midplane" not in ds and "r_kpc" not in ds.dims
    assert (ds.status.values == "ok").all() and (ds.error.values == "").all()
    assert ds.attrs["config_toml"] == dump_config(BASE)
    assert json.loads(ds.attrs["scan_grid"]) == grid
    assert ds.attrs["points_computed"] == 6 and ds.attrs["points_resumed"] == 0
    for idx, point in _points(ds, list(grid)):
        cfg = escapade.with_updates(BASE, point)
        serial = reduce_solution(escapade.solve(cfg), cfg)
        for name in COMPARED:
            np.testing.assert_array_equal(ds[name].values[idx], serial[name].values, err_msg=name)
    on_disk = xr.load_dataset(out)
    xr.testing.assert_equal(on_disk, ds)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.nc", "scan.nc.points"]
    assert len(list(checkpoint_dir(out).glob("*.nc"))) == 6
    # the same point selected by value
    sel = ds.anisotropy.sel({"diffusion.tau": 0.5, "diffusion.d0_cm2_s": 4e28, "species": "1H"})
    assert sel.shape == (8,) and np.all(sel.values > 0)


def test_resume_computes_only_missing_points(client, tmp_path, monkeypatch):
    grid = {"diffusion.tau": [0.0, 0.25, 0.5, 0.75]}
    out = tmp_path / "scan.nc"
    points = checkpoint_dir(out)

    # interrupted (Ctrl-C on the client) after two points were checkpointed
    real_write, written = scanmod._write_netcdf, []

    def interrupting_write(ds, path):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(path)
        real_write(ds, path)

    monkeypatch.setattr(scanmod, "_write_netcdf", interrupting_write)
    with pytest.raises(KeyboardInterrupt):
        scan(BASE, grid, client=client, output=out, progress=False)
    monkeypatch.undo()
    assert not out.exists() and sorted(points.glob("*.nc")) == sorted(written)

    ds = scan(BASE, grid, client=client, output=out, progress=False)
    assert (ds.attrs["points_computed"], ds.attrs["points_resumed"]) == (2, 2)
    assert (ds.status.values == "ok").all() and out.is_file()
    mtimes = {p: p.stat().st_mtime_ns for p in points.glob("*.nc")}
    assert len(mtimes) == 4

    # lose one checkpoint and extend the grid: only those two points are solved
    lost = sorted(mtimes)[0]
    lost.unlink()
    grid2 = {"diffusion.tau": [0.0, 0.25, 0.5, 0.75, 1.0]}
    ds2 = scan(BASE, grid2, client=client, output=out, progress=False)
    assert (ds2.attrs["points_computed"], ds2.attrs["points_resumed"]) == (2, 3)
    kept = {p: m for p, m in mtimes.items() if p != lost}
    assert all(p.stat().st_mtime_ns == m for p, m in kept.items())
    assert lost.exists() and len(list(points.glob("*.nc"))) == 5
    xr.testing.assert_equal(
        ds2.drop_vars(["run_seconds"]).isel({"diffusion.tau": slice(0, 4)}),
        ds.drop_vars(["run_seconds"]),
    )
    assert list(tmp_path.glob(".*tmp*")) == [] and list(points.glob(".*tmp*")) == []


def _solve_with_chi2(cfg, fail_tau):
    """A stand-in for a fit: solve, add a scalar result, raise at one value of tau."""
    if cfg.diffusion.tau == fail_tau:
        raise RuntimeError(f"solver did not converge at tau = {fail_tau}")
    ds = escapade.solve(cfg)
    ds["chi2"] = xr.DataArray(10.0 * cfg.diffusion.tau, attrs={"long_name": "test statistic"})
    return ds


def test_failing_points_do_not_stop_the_scan(client, tmp_path):
    grid = {"grid.nr": [3, 21], "diffusion.tau": [0.0, 0.5, 1.0]}
    evaluate = functools.partial(_solve_with_chi2, fail_tau=1.0)
    out = tmp_path / "scan.nc"
    ds = scan(BASE, grid, client=client, output=out, progress=False, evaluate=evaluate)
    status, error = ds.status.values, ds.error.values
    assert list(status[0]) == ["failed"] * 3 and list(status[1]) == ["ok", "ok", "failed"]
    assert all("grid.nr = 3" in e and e.startswith("ConfigError") for e in error[0])
    assert error[1, 2] == "RuntimeError: solver did not converge at tau = 1.0"
    assert ds.attrs["points_ok"] == 2 and ds.attrs["points_failed"] == 4
    assert np.isnan(ds.anisotropy.values[0]).all() and np.isnan(ds.anisotropy.values[1, 2]).all()
    assert np.isfinite(ds.anisotropy.values[1, :2]).all()
    # the evaluator's own scalar outputs are stacked too
    np.testing.assert_array_equal(ds.chi2.values[1], [0.0, 5.0, np.nan])
    assert ds.chi2.dims == ("grid.nr", "diffusion.tau")
    # failed points are not checkpointed: a rerun retries the worker failure only
    ds2 = scan(BASE, grid, client=client, output=out, progress=False, evaluate=evaluate)
    assert (ds2.attrs["points_computed"], ds2.attrs["points_resumed"]) == (1, 2)
    # a different evaluator does not reuse these checkpoints
    plain = scan(BASE, {"diffusion.tau": [0.0]}, client=client, output=out, progress=False)
    assert plain.attrs["points_computed"] == 1 and "chi2" not in plain


def test_full_fields_and_density_at_the_sun(client, tmp_path):
    grid = {"diffusion.tau": [0.2, 0.8]}
    out = tmp_path / "scan.nc"
    small = scan(BASE, grid, client=client, output=out, progress=False)
    full = scan(BASE, grid, client=client, output=out, progress=False, keep_fields=True)
    assert full.attrs["points_computed"] == 2  # the small checkpoints lack the fields
    assert full.density_midplane.dims == ("diffusion.tau", "species", "ekin_gev_per_n", "r_kpc")
    assert full.sizes["r_kpc"] == 21
    again = scan(BASE, grid, client=client, output=out, progress=False)
    assert again.attrs["points_resumed"] == 2 and "density_midplane" not in again
    xr.testing.assert_equal(again.drop_vars("run_seconds"), small.drop_vars("run_seconds"))
    # the density at the Sun is the one the local flux is made of
    e = full.ekin_gev_per_n.values
    flux = local_flux_from_density(nuclide("1H"), e, full.density_sun.sel(species="1H").values)
    np.testing.assert_allclose(flux, full.flux_local.sel(species="1H").values, rtol=1e-12)


# ------------------------------------------------------------------------ CLI


def test_cli_scan_on_a_scheduler_and_resume(client, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_TOML)
    out = tmp_path / "scan.nc"
    argv = [
        "scan", str(cfg), "--set", "diffusion.tau=0:1:3", "--set", "grid.nr=3,21",
        "-o", str(out), "--scheduler", client.scheduler.address,
    ]  # fmt: skip
    assert main(argv) == 1  # written, but some points failed
    captured = capsys.readouterr()
    assert f"wrote {out} (6 points: 3 ok, 3 failed; 3 computed, 0 from" in captured.out
    failed = [line for line in captured.err.splitlines() if "failed point" in line]
    assert len(failed) == 3 and all("grid.nr=3" in line for line in failed)
    ds = xr.load_dataset(out)
    assert list(ds["diffusion.tau"].values) == [0.0, 0.5, 1.0]
    assert list(ds["grid.nr"].values) == [3, 21]
    assert main(argv) == 1
    assert "0 computed, 3 from" in capsys.readouterr().out


def test_cli_scan_local_cluster(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_TOML)
    out = tmp_path / "scan.nc"
    argv = ["scan", str(cfg), "--set", "diffusion.tau=0.3,0.6", "-o", str(out), "--workers", "1"]
    assert main(argv) == 0
    assert "2 ok, 0 failed; 2 computed" in capsys.readouterr().out
    assert (xr.load_dataset(out).status.values == "ok").all()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "diffusion.tua=0:1:3"], "'diffusion.tau'? Valid keys in [diffusion]: "),
        (["--set", "difusion.tau=0:1:3"], "Valid keys are: galaxy.r_max_kpc"),
        (["--set", "diffusion.tau=0:1"], "a range is a:b:n"),
        (["--set", "diffusion.tau"], "expected KEY=VALUES"),
        (["--set", "diffusion.tau=0.1,0.1"], "repeated values"),
        (["--set", "diffusion.tau=0:1:3", "--set", "diffusion.tau=0.5"], "given twice"),
        (["--set", "diffusion.tau=0.5", "--workers", "0"], "--workers 0"),
        (["--set", "diffusion.tau=0.5", "--workers", "2", "--scheduler", "tcp://h:1"], "local"),
        (
            [
                "--set",
                "diffusion.tau=0.5",
                "--fit",
                "--data",
                "B/C:NOPE",
                "--free",
                "diffusion.tau",
            ],
            "Valid choices for B/C: B/C:AMS-02",
        ),
        (
            [
                "--set",
                "diffusion.tau=0.5",
                "--fit",
                "--data",
                "B/C:AMS-02",
                "--free",
                "diffusion.d0",
            ],
            "Did you mean 'diffusion.d0_cm2_s'?",
        ),
    ],
)
def test_cli_scan_bad_input_exit_2_nothing_started(tmp_path, capsys, args, fragment):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_TOML)
    out = tmp_path / "scan.nc"
    assert main(["scan", str(cfg), "-o", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("escapade: error:") and "\n" not in err
    assert fragment in err
    assert not out.exists() and not checkpoint_dir(out).exists()


def test_cli_scan_unreachable_scheduler_from_env(tmp_path, capsys, monkeypatch):
    import dask

    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_TOML)
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:1")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["scan", str(cfg), "--set", "diffusion.tau=0.5", "-o", str(tmp_path / "s.nc")])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot connect to the dask scheduler at 'tcp://127.0.0.1:1'" in err

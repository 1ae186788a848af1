"""`escapade run` with `[stochastic] enabled = true` (issue 18): the contract variables on a
tiny grid, and bad input as one line naming the key, exit status 2, nothing written."""

from __future__ import annotations

import pytest
from conftest import tiny_toml

from escapade.cli import main
from escapade.io import open_solution

CATALOGUE = "name,distance_kpc,age_kyr,l_deg,b_deg\nA,0.3,50,120,5\nB,0.6,400,250,-10\n"
"""A catalogue written by the test itself (the bundled nearby_snr: test_nearby_snr_catalogue)."""


def _toml(**stochastic) -> str:
    grid = {"ekin_min_gev_per_n": 100.0, "ekin_max_gev_per_n": 1e5}
    st = {"enabled": True, "n_realisations": 20} | stochastic
    return tiny_toml(4, grid=grid, stochastic=st)


@pytest.mark.parametrize("include_smooth", [True, False])
def test_run_adds_the_contract_variables(tmp_path, include_smooth):
    cat = tmp_path / "nearby.csv"
    cat.write_text(CATALOGUE)
    cfg = tmp_path / "run.toml"
    cfg.write_text(_toml(catalogue=str(cat), include_smooth=include_smooth))
    out = tmp_path / "out.nc"
    assert main(["run", str(cfg), "-o", str(out)]) == 0
    ds = open_solution(out)
    amp = ds["stochastic_dipole_amplitude"]
    assert amp.dims == ("realisation", "ekin_gev_per_n") and amp.shape == (20, 4)
    ratio = ds["stochastic_flux_ratio"]
    assert ratio.dims == ("species", "realisation", "ekin_gev_per_n")
    assert (amp > 0).all() and (ratio.sel(species="1H") > 0).all()
    for key in ("ra_deg", "dec_deg", "l_deg", "b_deg"):
        assert ds[f"stochastic_dipole_{key}"].dims == amp.dims


def test_run_without_the_section_adds_nothing(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text(tiny_toml(4))
    assert main(["run", str(cfg), "-o", str(tmp_path / "out.nc")]) == 0
    assert "stochastic_dipole_amplitude" not in open_solution(tmp_path / "out.nc")


def _run_exit_2(tmp_path, capsys, toml: str, *fragments) -> None:
    cfg = tmp_path / "run.toml"
    cfg.write_text(toml)
    before = sorted(p.name for p in tmp_path.iterdir())
    capsys.readouterr()
    assert main(["run", str(cfg), "-o", str(tmp_path / "out.nc")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("escapade: error:") and "\n" not in err, err
    for f in fragments:
        assert f in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        ("supernova_rate_per_century = -1.0", ["stochastic.supernova_rate_per_century = -1.0"]),
        ("discrete_max_age_kyr = -5.0", ["stochastic.discrete_max_age_kyr = -5.0"]),
        ("discrete_max_distance_kpc = 0.0", ["stochastic.discrete_max_distance_kpc = 0.0"]),
        ("n_realisations = 0", ["stochastic.n_realisations = 0"]),
        ("random_population = false", ["random_population = false", "catalogue = None"]),
    ],
)
def test_bad_values(tmp_path, capsys, line, fragments):
    key = line.split(" = ")[0]
    text = _toml()
    start = text.index(f"\n{key} = ", text.index("[stochastic]"))
    end = text.index("\n", start + 1)
    _run_exit_2(tmp_path, capsys, text[:start] + "\n" + line + text[end:], *fragments)


def test_seed_must_be_an_integer(tmp_path, capsys):
    toml = _toml().replace("seed = 0", "seed = 1.5")
    _run_exit_2(tmp_path, capsys, toml, "stochastic.seed = 1.5", "integer")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["is empty"]),
        ("name,distance_kpc,age_kyr,l_deg,b_deg\n", ["is empty"]),
        ("name,distance_kpc,l_deg,b_deg\nA,0.3,1,2\n", ["lacks the column(s) age_kyr"]),
        ("name,distance_kpc,age_kyr,l_deg,b_deg\nA,0.3,-50,1,2\n", ["age_kyr = -50.0", ">= 0"]),
        ("name,distance_kpc,age_kyr,l_deg,b_deg\nA,-0.3,50,1,2\n", ["distance_kpc = -0.3"]),
        ("name,distance_kpc,age_kyr,l_deg,b_deg\nA,near,50,1,2\n", ["'near' is not a number"]),
    ],
)
def test_bad_catalogue(tmp_path, capsys, text, fragments):
    cat = tmp_path / "bad.csv"
    cat.write_text(text)
    _run_exit_2(tmp_path, capsys, _toml(catalogue=str(cat)), "stochastic.catalogue", *fragments)


def test_missing_catalogue(tmp_path, capsys):
    toml = _toml(catalogue=str(tmp_path / "absent.csv"))
    _run_exit_2(tmp_path, capsys, toml, "stochastic.catalogue", "absent.csv", "cannot be read")


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    path = tmp_path_factory.mktemp("stoch") / "smooth.nc"
    cfg = path.with_suffix(".toml")
    cfg.write_text(tiny_toml(4, grid={"ekin_min_gev_per_n": 100.0, "ekin_max_gev_per_n": 1e5}))
    assert main(["run", str(cfg), "-o", str(path)]) == 0
    return path


def test_stochastic_command_is_reproducible(solved, tmp_path, capsys):
    outs = []
    for name in ("a.nc", "b.nc"):
        out = tmp_path / name
        args = ["stochastic", str(solved), "-o", str(out), "--set", "n_realisations=12"]
        assert main([*args, "--set", "seed=5"]) == 0
        outs.append(open_solution(out))
    a, b = outs
    assert a["stochastic_dipole_amplitude"].shape == (12, 4)
    assert (a["stochastic_dipole_amplitude"] == b["stochastic_dipole_amplitude"]).all()
    assert "seed = 5" in a.attrs["config_toml"] and "enabled = true" in a.attrs["config_toml"]
    assert "dipole median" in capsys.readouterr().out
    # rerun on its own output: the old variables are replaced
    again = tmp_path / "c.nc"
    assert main(["stochastic", str(tmp_path / "a.nc"), "-o", str(again), "--set", "seed=6"]) == 0
    c = open_solution(again)
    assert c.sizes["realisation"] == 12  # the stored config's n_realisations, a new seed
    assert not (c["stochastic_dipole_amplitude"] == a["stochastic_dipole_amplitude"]).all()


def test_stochastic_command_bad_input(solved, tmp_path, capsys):
    out = tmp_path / "x.nc"
    for extra, fragment in (
        (["--set", "seed=1.5"], "stochastic.seed = 1.5"),
        (["--set", "rate=3"], "'stochastic.rate' is not a config key"),
        (["--set", "seed"], "give KEY=VALUE"),
        (["--workers", "0"], "--workers 0"),
    ):
        capsys.readouterr()
        assert main(["stochastic", str(solved), "-o", str(out), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and fragment in err, err
        assert not out.exists()


def test_run_and_stochastic_on_a_3d_solution_with_arms(tmp_path):
    """`escapade run` with `[stochastic] enabled = true` on the 3D engine (FGK06 arms), then
    `escapade stochastic` on its output: the contract variables both ways."""
    toml = tiny_toml(
        4,
        grid={"nxy": 21, "nz": 11, "ekin_min_gev_per_n": 100.0, "ekin_max_gev_per_n": 1e4},
        galaxy={"r_max_kpc": 20.0},
        species={"propagate": ["1H"], "abundances": {"1H": 1.0}, "antiprotons": False},
        transport={"geometry": "3d"},
        source={"arms": "faucher_giguere_kaspi2006"},
        stochastic={"enabled": True, "n_realisations": 10},
    )
    cfg = tmp_path / "run3d.toml"
    cfg.write_text(toml)
    out = tmp_path / "out3d.nc"
    assert main(["run", str(cfg), "-o", str(out)]) == 0
    ds = open_solution(out)
    assert ds.attrs["geometry"] == "3d"
    assert ds["stochastic_dipole_amplitude"].dims == ("realisation", "ekin_gev_per_n")
    assert ds["stochastic_dipole_amplitude"].shape == (10, 4)
    assert ds["stochastic_flux_ratio"].dims == ("species", "realisation", "ekin_gev_per_n")
    again = tmp_path / "again3d.nc"
    assert main(["stochastic", str(out), "-o", str(again), "--set", "n_realisations=6"]) == 0
    assert open_solution(again)["stochastic_dipole_amplitude"].shape == (6, 4)

"""`escapade gamma --fit`: the template fit of a solution against the Fermi-LAT counts map."""

from __future__ import annotations

import json

import pytest
from conftest import tiny_toml

from escapade.cli import main
from escapade.sky.solution_fit import FitSettings, fit_solution
from escapade.solution import Solution

NSIDE = 16  # model maps; the fit regrids them to the data's nside 128


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err.strip()
    assert err.startswith("escapade: error:") and "\n" not in err, err
    for f in fragments:
        assert f in err, err
    return err


@pytest.fixture(scope="module")
def solution(tmp_path_factory):
    d = tmp_path_factory.mktemp("gammafit")
    cfg = d / "run.toml"
    cfg.write_text(tiny_toml(16, species={"propagate": ["1H", "4He"]}))
    nc = d / "run.nc"
    assert main(["run", str(cfg), "-o", str(nc), "--full"]) == 0
    return nc


def test_fit_writes_json_with_the_maps(solution, tmp_path, capsys):
    out = tmp_path / "sky"
    argv = ["gamma", str(solution), "--bands", "2:20", "--nside", str(NSIDE), "-o", str(out)]
    assert main(argv) == 0
    plain = sorted(p.name for p in out.iterdir())
    out_fit = tmp_path / "sky_fit"
    argv[-1] = str(out_fit)
    capsys.readouterr()
    assert main(argv + ["--fit"]) == 0
    printed = capsys.readouterr().out
    assert "template fit 2-20 GeV" in printed and "-2 ln L" in printed
    names = sorted(p.name for p in out_fit.iterdir())
    assert names == sorted(plain + ["template_fit_2-20GeV.json"])  # the other outputs unchanged
    res = json.loads((out_fit / "template_fit_2-20GeV.json").read_text())
    for key in ("normalisations", "minus2lnl", "deviance", "ndof", "systematic_fraction"):
        assert key in res
    assert res["gas_model"] == "galprop_analytic" and res["band_gev"] == [2.0, 20.0]
    assert set(res["normalisations"]) == {"HI", "H2", "HII", "point_sources", "isotropic"}
    for v in res["normalisations"].values():
        assert v["value"] >= 0.0 and v["error"] >= 0.0
    f = res["systematic_fraction"]
    assert f["mode"] == "fit" and f["interval_68"][0] <= f["value"] <= f["interval_68"][1]
    s = res["settings"]
    assert s["region"] == "absb5" and s["point_sources"] is True and s["nside_fit"] == 128
    assert s["nside_maps"] == NSIDE and s["systematic_fraction"] == "fit"
    assert list(out_fit.glob(".*tmp*")) == []


def test_fit_options_fixed_f_no_point_sources_absb8(solution, tmp_path):
    out = tmp_path / "sky"
    argv = ["gamma", str(solution), "--nside", str(NSIDE), "-o", str(out), "--fit"]
    argv += ["--fit-region", "absb8", "--no-fit-point-sources", "--fit-systematics", "0.1"]
    assert main(argv) == 0
    res = json.loads((out / "template_fit_2-20GeV.json").read_text())
    assert "point_sources" not in res["normalisations"]
    assert res["systematic_fraction"]["mode"] == "fixed"
    assert res["systematic_fraction"]["value"] == 0.1 and res["statistic"] == "gaussian_regrouped"
    assert res["settings"]["region"] == "absb8" and res["settings"]["point_sources"] is False


def test_fit_solution_api_poisson(solution):
    sol = Solution.open(solution)
    res = fit_solution(sol, nside=NSIDE, settings=FitSettings(systematic_fraction=0))
    assert res.fit.statistic == "poisson" and res.interval_68 is None
    assert res.fit.ndof == res.fit.n_pixels - len(res.fit.names)
    assert "-2 ln L" in res.table()[-1]


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--fit", "--fit-region", "absb9"], ["--fit-region 'absb9'", "absb5, absb8"]),
        (["--fit", "--fit-systematics", "-0.1"], ["--fit-systematics '-0.1'", "'fit'"]),
        (["--fit", "--fit-systematics", "lots"], ["--fit-systematics 'lots'", "0 <= F < 10"]),
        (["--fit", "--bands", "1:2"], ["--bands 1:2", "no Fermi-LAT counts", "2:20"]),
        (["--fit", "--bands", "2:20,20:100"], ["--bands 20:100", "allowed 2:20"]),
        (["--fit-region", "absb8"], ["--fit-region needs --fit"]),
        (["--no-fit-point-sources"], ["--fit-point-sources needs --fit"]),
    ],
)
def test_bad_fit_option_exit_2_nothing_written(solution, tmp_path, capsys, extra, fragments):
    out = tmp_path / "sky"
    argv = ["gamma", str(solution), "--nside", str(NSIDE), "-o", str(out)] + extra
    assert main(argv) == 2
    _one_line_error(capsys, *fragments)
    assert not out.exists()


def test_fit_settings_refuse_bad_values():
    with pytest.raises(ValueError, match="region='absb3'"):
        FitSettings(region="absb3")
    with pytest.raises(ValueError, match="systematic_fraction=-1"):
        FitSettings(systematic_fraction=-1)


def test_fit_solution_of_a_leptonic_solution_has_ic(leptonic_solution):
    """With e- and e+ the templates are pi0 + bremsstrahlung per phase and IC."""
    from escapade.sky.templates import process_maps

    maps = process_maps(leptonic_solution, (2.0, 20.0), NSIDE)
    assert "bremsstrahlung_HI" in maps and "IC" in maps
    res = fit_solution(
        leptonic_solution, nside=NSIDE, settings=FitSettings(systematic_fraction=0.1), maps=maps
    )
    assert "IC" in res.fit.names and "HI" in res.fit.names
    assert res.as_dict()["systematic_fraction"]["mode"] == "fixed"


@pytest.mark.slow
def test_fit_of_a_survey3d_solution_with_dark_gas(tmp_path):
    """survey3d with dark gas: the dark-gas template gets its own normalisation."""
    cfg = tmp_path / "run.toml"
    gas = {"model": "survey3d", "dark_gas": True}
    cfg.write_text(tiny_toml(16, species={"propagate": ["1H", "4He"]}, gas=gas))
    nc = tmp_path / "run.nc"
    assert main(["run", str(cfg), "-o", str(nc), "--full"]) == 0
    out = tmp_path / "sky"
    argv = ["gamma", str(nc), "--nside", str(NSIDE), "-o", str(out), "--fit"]
    assert main(argv + ["--fit-systematics", "0.2"]) == 0
    res = json.loads((out / "template_fit_2-20GeV.json").read_text())
    assert res["gas_model"] == "survey3d" and res["dark_gas"] is True
    assert {"HI", "H2", "HII", "dark"} <= set(res["normalisations"])

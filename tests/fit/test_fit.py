"""Fits (issue 4): synthetic data made by escapade itself are fitted back; bad names fail with
the valid choices; the CLI writes the best-fit config, fit.json and the figure."""

from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import pytest

import escapade
from escapade.cli import main
from escapade.fit import DataError, FitError, Measurement, fit, load_measurement, model_values
from escapade.fit.likelihood import DataTerm, main_isotopes, rigidity_gv

GRID = {"nr": 21, "nz": 41, "n_ekin": 24}
BC_CFG = escapade.validate_config({"grid": GRID, "species": {"z_max": 6}})
PHE_CFG = escapade.validate_config({"grid": GRID})  # 1H + 4He
TRUE_D0, TRUE_PHI = 3.0e28, 0.7
X_GV = np.geomspace(3.0, 1000.0, 24)


def _measurement(ds, observable, x, phi, rel, name="synthetic"):
    template = Measurement(
        observable, name, x, "rigidity", np.ones_like(x), *(np.zeros_like(x),) * 4, "1", "escapade"
    )
    y = model_values(ds, template, phi)
    units = "1" if "/" in observable else "m^-2 s^-1 sr^-1 GV^-1"
    err = rel * y
    return Measurement(observable, name, x, "rigidity", y, err, err, 0 * y, 0 * y, units, "test")


@pytest.fixture(scope="module")
def synthetic_bc():
    """B/C made by escapade with D0 = 3e28 cm^2/s, phi = 0.7 GV, 2 % errors, no scatter."""
    ds = escapade.solve(escapade.with_updates(BC_CFG, {"diffusion.d0_cm2_s": TRUE_D0}))
    return _measurement(ds, "B/C", X_GV, TRUE_PHI, 0.02)


def test_synthetic_b_over_c_recovers_d0_and_phi(synthetic_bc):
    res = fit(
        BC_CFG, data=[synthetic_bc], free=["diffusion.d0_cm2_s", "modulation.phi_gv"], rmin_gv=3.0
    )
    assert res.valid, res.message
    d0, phi = res.values["diffusion.d0_cm2_s"], res.values["modulation.phi_gv"]
    sd0, sphi = res.errors["diffusion.d0_cm2_s"], res.errors["modulation.phi_gv"]
    # noise-free data: the truth, well within the errors; the chi2 is ~0
    assert abs(d0 - TRUE_D0) < 0.1 * sd0 and abs(phi - TRUE_PHI) < 0.1 * sphi
    assert 0 < sd0 < 0.05 * TRUE_D0 and 0 < sphi < 0.5
    assert res.chi2 < 0.01 and res.ndof == len(X_GV) - 2
    assert res.config.diffusion.d0_cm2_s == pytest.approx(d0)
    assert res.n_solves <= 6 and res.n_chi2 > res.n_solves
    assert res.correlation.shape == (2, 2) and abs(res.correlation[0, 1]) < 1
    assert res.terms[0]["n_points"] == len(X_GV)


def test_gaussian_prior_combines_with_the_data_as_inverse_variance_weights(synthetic_bc):
    """A prior phi = 0.5 +- s_p on data that want 0.7 +- s_d: in the linear regime the result
    is the inverse-variance mean, its error (1/s_d^2 + 1/s_p^2)^-1/2, and the prior's
    chi2 counts in the total and as one more measurement in ndof."""
    free = ["diffusion.d0_cm2_s", "modulation.phi_gv"]
    plain = fit(BC_CFG, data=[synthetic_bc], free=free, rmin_gv=3.0)
    s_d = plain.errors["modulation.phi_gv"]
    mu, s_p = 0.5, s_d  # equal weights: the answer is halfway
    res = fit(
        BC_CFG, data=[synthetic_bc], free=free, rmin_gv=3.0, priors={"modulation.phi_gv": (mu, s_p)}
    )
    w_d, w_p = s_d**-2, s_p**-2
    expect = (TRUE_PHI * w_d + mu * w_p) / (w_d + w_p)
    phi = res.values["modulation.phi_gv"]
    assert abs(phi - expect) < 0.1 * abs(TRUE_PHI - expect), (phi, expect)
    assert res.errors["modulation.phi_gv"] == pytest.approx((w_d + w_p) ** -0.5, rel=0.15)
    (prior,) = res.priors
    assert prior["chi2"] == pytest.approx(((phi - mu) / s_p) ** 2, rel=1e-6)
    assert res.chi2 > prior["chi2"] > 0.1
    assert res.ndof == plain.ndof + 1
    with pytest.raises(FitError, match="not a free parameter"):
        fit(BC_CFG, data=[synthetic_bc], free=free[:1], priors={"modulation.phi_gv": (0.5, 0.1)})
    with pytest.raises(FitError, match="sigma > 0"):
        fit(BC_CFG, data=[synthetic_bc], free=free, priors={"modulation.phi_gv": (0.5, 0.0)})


def test_synthetic_fit_with_scatter_within_errors_and_exact_migrad_agrees(synthetic_bc):
    rng = np.random.default_rng(12)
    m = synthetic_bc
    noisy = Measurement(
        "B/C",
        "noisy",
        m.x,
        "rigidity",
        m.y * (1 + 0.02 * rng.standard_normal(m.x.size)),
        m.stat_lo,
        m.stat_hi,
        m.syst_lo,
        m.syst_hi,
        "1",
        "test",
    )
    lin = fit(
        BC_CFG, data=[noisy], free="diffusion.d0_cm2_s", fix={"modulation.phi_gv": 0.7}, rmin_gv=3.0
    )
    d0, err = lin.values["diffusion.d0_cm2_s"], lin.errors["diffusion.d0_cm2_s"]
    assert abs(d0 - TRUE_D0) < 3 * err
    assert 0.3 < lin.chi2 / lin.ndof < 2.5
    ref = fit(
        BC_CFG,
        data=[noisy],
        free="diffusion.d0_cm2_s",
        fix={"modulation.phi_gv": 0.7},
        rmin_gv=3.0,
        method="migrad",
        model=None,
    )
    assert ref.valid and ref.n_solves > lin.n_solves
    assert abs(ref.values["diffusion.d0_cm2_s"] - d0) < 0.1 * err
    assert ref.errors["diffusion.d0_cm2_s"] == pytest.approx(err, rel=0.05)
    assert ref.chi2 == pytest.approx(lin.chi2, abs=0.02)


def test_abundance_items_flux_scale_and_profiled_normalisation():
    true = escapade.with_updates(PHE_CFG, {"species.abundances": {"1H": 1.0, "4He": 0.15}})
    ds = escapade.solve(true)
    he = _measurement(ds, "He", X_GV, 0.6, 0.02, "synthHe")
    res = fit(PHE_CFG, data=[he], free=["species.abundances.He"], rmin_gv=3.0)
    assert res.values["species.abundances.He"] == pytest.approx(0.15, rel=1e-3)
    assert res.config.species.abundances["4He"] == pytest.approx(0.15, rel=1e-3)
    # the 1H flux normalisation scales every flux: no solve beyond the first
    h = _measurement(ds, "H", X_GV, 0.6, 0.02, "synthH")
    h = Measurement(
        "H",
        "synthH",
        h.x,
        "rigidity",
        1.1 * h.y,
        h.stat_lo,
        h.stat_hi,
        0.05 * h.y,
        0.05 * h.y,
        h.units,
        "test",
    )
    res = fit(true, data=[h], free="source.norm_flux_m2_s_sr_gev", rmin_gv=3.0)
    assert res.values["source.norm_flux_m2_s_sr_gev"] == pytest.approx(1.1 * 0.044, rel=1e-3)
    assert res.n_solves == 1
    factor = res.values["source.norm_flux_m2_s_sr_gev"] / 0.044
    np.testing.assert_allclose(
        res.solution.flux_local.sel(species="1H").values,
        factor * ds.flux_local.sel(species="1H").values,
        rtol=1e-9,
    )
    # a 10 % high table with a 5 % normalisation uncertainty: the profiled norm takes most of it
    res = fit(true, data=[h], free="modulation.phi_gv", rmin_gv=3.0, syst="profile")
    norm = res.terms[0]["norm"]
    assert 1.05 < norm < 1.1 and res.terms[0]["syst_norm_rel"] == pytest.approx(0.05 / 1.1)


def test_list_items_fix_and_bounds():
    h = load_measurement("H:AMS-02")
    res = fit(
        PHE_CFG,
        data=[h],
        free=["source.break_indices.0", "modulation.phi_gv"],
        fix={"source.break_rigidities_gv": [300.0], "source.break_indices": [2.2]},
        bounds={"source.break_indices.0": (2.0, 2.6)},
        rmin_gv=20.0,
    )
    assert 2.0 <= res.values["source.break_indices.0"] <= 2.6
    assert res.config.source.break_rigidities_gv == [300.0]


def test_rigidity_cut_uses_the_main_isotopes():
    assert main_isotopes("B/C") == ["11B", "12C"]
    assert main_isotopes("p") == ["1H"] and main_isotopes("10Be/9Be") == ["10Be", "9Be"]
    heao = load_measurement("B/C:HEAO-3")
    rig = rigidity_gv(heao)
    np.testing.assert_allclose(rig, heao.x_rigidity_gv("12C"))
    term = DataTerm.build(heao, rmin_gv=5.0)
    assert term.n_points + term.n_below == len(heao)
    assert np.all(heao.x_rigidity_gv("12C")[term.mask] >= 5.0)
    with pytest.raises(DataError, match="no point left"):
        DataTerm.build(heao, rmin_gv=1e5)


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        (dict(data=["B/C:AMS02x"]), ["B/C:AMS-02", "Did you mean"]),
        (dict(data=["B/C:NOPE"]), ["Valid choices for B/C", "B/C:HEAO-3"]),
        (
            dict(free=["diffusion.d0"]),
            ["did you mean 'diffusion.d0_cm2_s'", "Valid:", "modulation.phi_gv", "diffusion.delta"],
        ),
        (dict(free=["modulation.phi"]), ["Did you mean 'modulation.phi_gv'", "Valid:"]),
        (dict(free=["grid.nr"]), ["whole number"]),
        (dict(free=["diffusion.model"]), ["not a number"]),
        (dict(free=["species.abundances.12Xx"]), ["unknown element"]),
        (dict(free=["modulation.phi_gv[PAMELA]"]), ["names none of the fitted data sets"]),
        (dict(bounds={"diffusion.delta": (0.2, 0.8)}), ["not a free parameter"]),
        (dict(fix={"diffusion.d0_cm2_s": 3e28}), ["both free and fixed"]),
    ],
)
def test_bad_names_fail_with_the_valid_choices(kwargs, fragments):
    args = dict(data=["B/C:AMS-02"], free=["diffusion.d0_cm2_s"]) | kwargs
    with pytest.raises((FitError, DataError)) as err:
        fit(BC_CFG, **args)
    for f in fragments:
        assert f.lower() in str(err.value).lower(), str(err.value)


def _write_csv(path, m):
    rows = "\n".join(f"{x},{y},{e},{e},0,0" for x, y, e in zip(m.x, m.y, m.stat_lo, strict=True))
    path.write_text(f"# x_kind: rigidity\n# observable: B/C\n# experiment: Synth\n{rows}\n")


def test_cli_end_to_end_writes_three_files_and_the_best_fit_reruns(tmp_path, capsys, synthetic_bc):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[grid]\nnr = 21\nnz = 41\nn_ekin = 24\n[species]\nz_max = 6\n")
    csv = tmp_path / "bc.csv"
    _write_csv(csv, synthetic_bc)
    out = tmp_path / "fit"
    argv = [
        "fit",
        str(cfg),
        "--data",
        str(csv),
        "--free",
        "diffusion.d0_cm2_s,modulation.phi_gv",
        "--bound",
        "modulation.phi_gv=0:1.5",
        "--rmin",
        "3",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "converged" in cap.out and "wrote" in cap.out
    assert "solve 1" in cap.err and "chi2 evaluations" in cap.err  # the progress lines
    # as log lines (stderr is not a terminal here): one per solve, with the time so far
    assert re.search(r"^escapade \d\d:\d\d:\d\d INFO fit: solve 1 \(start, ", cap.err, re.M)
    best, js, fig = out / "best_fit.toml", out / "fit.json", out / "fit.png"
    assert best.stat().st_size > 0 and fig.stat().st_size > 10_000
    rec = json.loads(js.read_text())
    for key in (
        "parameters",
        "correlation",
        "chi2",
        "ndof",
        "pvalue",
        "n_model_evaluations",
        "n_chi2_evaluations",
        "wall_seconds",
    ):
        assert key in rec
    d0 = rec["parameters"]["diffusion.d0_cm2_s"]
    assert abs(d0["value"] - TRUE_D0) < 0.1 * d0["error"]
    assert rec["correlation"]["parameters"] == ["diffusion.d0_cm2_s", "modulation.phi_gv"]
    cfg_best = tomllib.loads(best.read_text())
    assert cfg_best["diffusion"]["d0_cm2_s"] == pytest.approx(d0["value"])
    rerun = tmp_path / "rerun.nc"
    assert main(["run", str(best), "-o", str(rerun)]) == 0
    ds = escapade.open_solution(rerun)
    bc = model_values(ds, synthetic_bc, rec["data"][0]["phi_gv"])
    np.testing.assert_allclose(bc, synthetic_bc.y, rtol=2e-3)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--data", "B/C:NOPE", "--free", "diffusion.d0_cm2_s"], "Valid choices for B/C"),
        (["--data", "B/C:AMS-02", "--free", "diffusion.d0"], "Did you mean 'diffusion.d0_cm2_s'"),
        (
            ["--data", "B/C:AMS-02", "--free", "diffusion.delta", "--bound", "diffusion.delta=a:b"],
            "must be numbers",
        ),
        (
            ["--data", "B/C:AMS-02", "--free", "diffusion.delta", "--prior", "diffusion.delta=0.5"],
            "expected KEY=MEAN+-SIGMA",
        ),
    ],
)
def test_cli_bad_input_one_line_exit_2(tmp_path, capsys, extra, fragment):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[grid]\nnr = 21\nnz = 41\nn_ekin = 24\n")
    out = tmp_path / "fit"
    assert main(["fit", str(cfg), *extra, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("escapade: error:") and "\n" not in err and fragment in err
    assert not out.exists()


def _d0_words(csv) -> list[str]:
    """The command-line words of a D0 fit to a CSV table with phi fixed at 0.7 GV."""
    return [
        "--data",
        str(csv),
        "--free",
        "diffusion.d0_cm2_s",
        "--fix",
        "modulation.phi_gv=0.7",
    ] + [
        "--rmin",
        "3",
    ]


def test_scan_fit_evaluator(synthetic_bc, tmp_path):
    from escapade.cli import UserError
    from escapade.cli.scan import fit_evaluator
    from escapade.scan import run_point

    csv = tmp_path / "bc.csv"
    _write_csv(csv, synthetic_bc)
    rec = run_point(BC_CFG, evaluate=fit_evaluator(_d0_words(csv)))
    assert list(rec.fit_parameter.values) == ["diffusion.d0_cm2_s"]
    assert rec.fit_value.values[0] == pytest.approx(TRUE_D0, rel=2e-3)
    assert float(rec.chi2) < 0.01 and int(rec.ndof) == len(X_GV) - 1
    for bad, msg in (
        (["--data", "B/C:AMS-02", "--free", "diffusion.d0"], "Did you mean"),
        (["--free", "diffusion.d0_cm2_s"], "at least one --data"),
        (["--data", "B/C:AMS-02", "--frее", "x"], "unrecognized"),
    ):
        with pytest.raises(UserError, match=msg):
            fit_evaluator(bad)
    with pytest.raises(DataError):
        fit_evaluator(["--data", "B/C:NOPE", "--free", "diffusion.d0_cm2_s"])


def test_a_fit_spec_drives_the_fit_and_the_package_is_callable(synthetic_bc, tmp_path):
    import escapade.fit as fitpkg
    from escapade.cli.fit import options_from_words

    csv = tmp_path / "bc.csv"
    _write_csv(csv, synthetic_bc)
    spec, _ = options_from_words(_d0_words(csv))
    assert spec.free == ["diffusion.d0_cm2_s"] and spec.rmin_gv == 3.0
    res = fitpkg(BC_CFG, **spec.kwargs())
    assert res.values["diffusion.d0_cm2_s"] == pytest.approx(TRUE_D0, rel=1e-3)
    assert res.fixed["modulation.phi_gv"] == 0.7


def test_a_fit_marches_only_the_species_its_data_read(synthetic_bc):
    """Once the first solve has shown which species B/C reads, the fit's solves march only
    those, what feeds them (10Be, 14C...) and the normalisation's 1H: no 2H, He, Li or light
    Be. The densities kept, and so the chi2, are those of a complete solve; the best fit is
    complete."""
    from escapade.inference.posterior import build_problem

    settings = dict(free=["diffusion.d0_cm2_s"], fix={}, start={}, rmin_gv=3.0, rmax_gv=None,
                    syst="quadrature", phi_gv=TRUE_PHI)  # fmt: skip
    pb = build_problem(BC_CFG, [synthetic_bc], settings)
    full, _ = pb.solution(pb.u0)
    pb.restrict_to_grid(full)
    assert set(pb.species_needed) == {"10B", "11B", "12C", "13C", "14C"}
    lean, cached = pb.solution(pb.u0)
    assert not cached  # a different solve: the cache tells them apart
    kept = {str(s) for s in lean.species.values}
    assert kept == {"10Be", "10B", "11B", "12C", "13C", "14C", "1H"}
    assert "anisotropy_all_nuclei" not in lean and "anisotropy_all_nuclei" in full
    kept = sorted(kept)
    assert np.allclose(lean.flux_local.sel(species=kept).values,
                       full.flux_local.sel(species=kept).values, rtol=1e-7, atol=0.0)  # fmt: skip
    assert pb.chi2_of(lean, pb.u0) == pytest.approx(pb.chi2_of(full, pb.u0), rel=1e-7)
    res = fit(BC_CFG, data=[synthetic_bc], free=["diffusion.d0_cm2_s"], rmin_gv=3.0)
    assert set(res.solution.species.values) == {str(s) for s in full.species.values}


def test_a_fit_that_reads_no_antiprotons_solves_without_them(synthetic_bc):
    """B/C reads no antiprotons, and they feed nothing back into the nuclei: the fit's solves
    skip them (the config has species.antiprotons = true) at the same chi2, while the best-fit
    solution and config keep them; a data set of pbar/p keeps them in every solve."""
    from escapade.inference.posterior import build_problem

    settings = dict(free=["diffusion.d0_cm2_s"], fix={}, start={}, rmin_gv=3.0, rmax_gv=None,
                    syst="quadrature", phi_gv=TRUE_PHI)  # fmt: skip
    cfg = escapade.with_updates(BC_CFG, {"species.antiprotons": True})
    pb = build_problem(cfg, [synthetic_bc], settings)
    assert pb.skip_antiprotons
    lean, _ = pb.solution(pb.u0)
    full, _ = pb.solution(pb.u0, complete=True)
    assert "pbar" not in lean.species.values and "pbar" in full.species.values
    nuclei = [str(s) for s in lean.species.values]
    # the same nuclei to the solves' tolerance (1e-8; the second solve starts from the
    # first one's factorisations)
    assert np.allclose(lean.flux_local.values, full.flux_local.sel(species=nuclei).values,
                       rtol=1e-7, atol=0.0)  # fmt: skip
    assert pb.chi2_of(lean, pb.u0) == pytest.approx(pb.chi2_of(full, pb.u0), rel=1e-7)
    res = fit(cfg, data=[synthetic_bc], free=["diffusion.d0_cm2_s"], rmin_gv=3.0)
    assert "pbar" in res.solution.species.values and res.config.species.antiprotons
    x = np.geomspace(5.0, 100.0, 6)
    pbar = Measurement("pbar/p", "t", x, "rigidity", 1e-4 * np.ones_like(x), 1e-5 * x / x,
                       1e-5 * x / x, 0 * x, 0 * x, "1", "t")  # fmt: skip
    phe = escapade.with_updates(PHE_CFG, {"species.antiprotons": True})
    assert not build_problem(phe, [pbar], settings).skip_antiprotons
    assert not build_problem(BC_CFG, [synthetic_bc], settings).skip_antiprotons  # none asked

"""`escapade reproduce --fast` end to end: every promised file and key exists and is finite."""

import json
import math
import re

import pytest

from escapade.cli import main

pytestmark = pytest.mark.slow


def test_reproduce_fast(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["reproduce", "--fast", "--out", str(out)]) == 0
    # stderr is not a terminal here: one log line per stage, in order (cli_logging)
    err = capsys.readouterr().err
    stages = [
        "INFO reproduce: letter era started: 8 values of tau",
        "INFO scan: started: 8 points",
        "INFO scan: point ",
        "INFO reproduce: letter era finished: 8 of 8 values of tau ok",
        "INFO reproduce: modern era started: 2 values of tau",
        "INFO reproduce: modern era finished: 2 of 2",
        "INFO reproduce: stochastic sources: 1000 realisations at tau = 0, 0.85",
        "INFO reproduce: stochastic sources finished",
        "INFO reproduce: posterior of tau, D0 and phi started: 8 walkers x 12 steps",
        "INFO reproduce: posterior finished: tau = ",
        "INFO reproduce: figures written",
        "INFO reproduce: report written",
    ]
    at = [err.find(stage) for stage in stages]
    assert -1 not in at and at == sorted(at), err
    assert (
        len(re.findall(r"INFO scan: point \d/8 \(diffusion.tau=.*\) done in .*; \d left", err)) == 8
    )
    figures = ("fig1_emissivity", "fig2_longitude_profile", "fig3_anisotropy", "bc", "pbar_p")
    for name in figures + ("knee_spectra", "posterior_tau"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{name}.{ext}").stat().st_size > 1000
    summary = json.loads((out / "summary.json").read_text())
    keys = (
        "d0_cm2_s",
        "chi2_bc",
        "chi2_longitude",
        "anisotropy_0.1tev",
        "anisotropy_1tev",
        "anisotropy_10tev",
        "n_2kpc_over_n_sun_10gev",
    )
    for tau in ("0", "0.2", "0.5", "0.7", "0.8", "0.85", "0.9", "1"):
        entry = summary["letter"][tau]
        for k in keys:
            assert math.isfinite(entry[k]), (tau, k)
    assert "best_tau_longitude" in summary["letter"]
    assert {"0", "0.85"} <= set(summary["modern"])
    report = (out / "report.md").read_text()
    assert "The letter's claims" in report and "figures/fig3_anisotropy.png" in report
    # issue 16's profile chi2, with one normalisation and per component
    assert "per component (tau)" in report
    for row in summary["letter"]["gamma_sensitivity"]:
        assert 0.0 < row["min_chi2_profile_components"] <= row["min_chi2_profile"] + 1e-6
    # the stochastic nearby sources (issue 18): P(A < 1e-3) and the DAMPE-sized bumps
    st = summary["stochastic"]
    assert st["realisations"] == 1000 and 0.1 < st["dampe"]["bump"] < 0.5
    for tau in ("0", "0.85"):
        for k in ("p_proton_dipole_below_1e-3_10tev", "p_proton_dipole_below_1e-3_100tev"):
            assert 0.0 <= st[tau][k] <= 1.0
        assert 0.0 <= st[tau]["bump_fraction_dampe_size"] <= 1.0
    assert "Stochastic nearby sources" in report and "source stochasticity" in report
    # the posterior of tau, D0 and phi on the letter-era B/C (issue 19)
    post = summary["posterior"]
    assert (post["walkers"], post["steps"]) == (8, 12) and isinstance(post["converged"], bool)
    for k in ("diffusion.tau", "diffusion.d0_cm2_s", "modulation.phi_gv"):
        p = post["parameters"][k]
        assert p["lo95"] <= p["lo68"] <= p["median"] <= p["hi68"] <= p["hi95"], k
    assert 0.0 <= post["parameters"]["diffusion.tau"]["lo95"] <= 1.0
    assert (out / "posterior" / "chain.nc").is_file()
    assert "## Posterior of tau, D0 and phi" in report and "B/C does not fix tau" in report

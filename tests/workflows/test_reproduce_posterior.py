"""`escapade reproduce`'s posterior of tau, D0 and phi on the letter-era B/C: the step on a tiny
grid with a handful of walkers and steps, its summary, report lines, figure and claims row."""

from __future__ import annotations

import json
import math

import pytest

from escapade.reproduce import claims
from escapade.reproduce.posterior import (
    FREE,
    POSTERIOR_DIR,
    posterior_claim,
    posterior_config,
    posterior_table,
    run_posterior,
    summarise_posterior,
)
from escapade.reproduce.report import report_markdown
from escapade.reproduce.settings import LETTER_DATA, Settings

TINY = Settings(
    21,
    41,
    12,
    2,
    8,
    "tiny",
    posterior_grid=(21, 21, 10, 8),
    posterior_walkers=6,
    posterior_steps=6,
    posterior_workers=None,
)


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    return out, run_posterior(TINY, out)


def test_the_step_samples_tau_d0_and_phi_with_the_reproduce_priors(posterior):
    out, res = posterior
    cfg = posterior_config(TINY)
    assert (cfg.grid.nr, cfg.grid.nz, cfg.grid.n_ekin, cfg.species.z_max) == (21, 21, 10, 8)
    assert not cfg.species.antiprotons
    assert res.names == list(FREE) and res.chain.chain.shape == (6, 6, 3)
    assert [p.text for p in res.priors][0].startswith("uniform")
    assert "loguniform" in res.priors[1].text and "gauss" in res.priors[2].text
    tau = res.samples()[:, 0]
    assert tau.min() >= 0.0 and tau.max() <= 1.0
    summary = json.loads((out / POSTERIOR_DIR / "summary.json").read_text())
    assert summary["data"] == list(LETTER_DATA)
    assert (out / POSTERIOR_DIR / "chain.nc").is_file()


def test_summary_report_lines_and_figure(posterior, tmp_path):
    from escapade.plots.inference import corner_figure

    _, res = posterior
    post = summarise_posterior(res, TINY)
    json.dumps(post)  # summary.json takes it as it is
    assert post["walkers"] == 6 and post["steps"] == 6 and post["grid"] == "21 x 21 x 10, Z <= 8"
    for k in FREE:
        p = post["parameters"][k]
        assert p["lo95"] <= p["lo68"] <= p["median"] <= p["hi68"] <= p["hi95"]
        assert math.isfinite(p["map"]) and p["prior"]
    assert 0.0 < post["acceptance_fraction"] <= 1.0
    assert set(post["autocorrelation_steps"]) == set(FREE)
    assert post["converged"] is False  # 6 steps: far from 50 autocorrelation times
    assert math.isfinite(post["map_chi2"]) and post["ndof"] > 0
    table = posterior_table(post)
    assert sum(line.startswith("| diffusion.") or line.startswith("| mod") for line in table) == 3
    report = report_markdown(
        {"letter": {}, "posterior": post}, TINY, [tmp_path / "posterior_tau.png"], tmp_path, 1.0
    )
    assert "## Posterior of tau, D0 and phi" in report and "not converged" in report
    fig = corner_figure(res)
    fig.savefig(tmp_path / "posterior_tau.png")
    assert (tmp_path / "posterior_tau.png").stat().st_size > 1000


def _post(lo95, hi95, converged=True) -> dict:
    p = {"median": 0.5 * (lo95 + hi95), "lo68": lo95 + 0.05, "hi68": hi95 - 0.05}
    return {
        "parameters": {
            "diffusion.tau": {**p, "lo95": lo95, "hi95": hi95, "map": p["median"]},
            "diffusion.d0_cm2_s": {"median": 1.1e28, "lo68": 1.0e28, "hi68": 1.2e28},
            "modulation.phi_gv": {"median": 0.6, "lo68": 0.4, "hi68": 0.8},
        },
        "converged": converged,
        "walkers": 16,
        "steps": 60,
        "grid": "41 x 41 x 20, Z <= 8",
        "acceptance_fraction": 0.4,
        "autocorrelation_steps": {"diffusion.tau": 5.0, "diffusion.d0_cm2_s": None},
    }


def test_the_claims_row_quotes_the_interval_of_tau():
    claim, verdict, numbers = posterior_claim(_post(0.02, 0.98))
    assert "B/C does not fix tau" in claim and verdict == "supported: B/C leaves tau free"
    assert "tau = 0.50 (68 %: 0.07-0.93; 95 %: 0.02-0.98)" in numbers
    assert "autocorrelation 5.0 steps" in numbers
    _, verdict, _ = posterior_claim(_post(0.55, 0.97, converged=False))
    assert verdict == (
        "not supported: B/C alone prefers tau 0.55-0.97 (95 %) (chain not converged: indicative)"
    )
    assert posterior_claim({"status": "failed", "error": "x"}) is None
    # claims(): the row follows the B/C row; without a posterior it is not there
    letter = {
        f"{t:g}": {"chi2_bc": 20.0, "ndof_bc": 27, "d0_cm2_s": 1.1e28, "anisotropy_1tev": 1e-3}
        for t in (0.5, 0.7)
    }
    rows = claims(letter, None, None, _post(0.3, 0.99))
    assert rows[0][0].startswith("B/C fits well") and rows[1][0].startswith("B/C does not fix")
    assert not any("does not fix tau" in r[0] for r in claims(letter, None))

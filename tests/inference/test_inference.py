"""The posterior (issue 19): on B/C made by escapade itself it recovers the truth with the
fit's width; priors are normalised densities; a killed chain resumed is the chain of an
uninterrupted run; bad settings are one-line errors before anything is written.

phi is the free parameter where a test needs many evaluations: it needs no solve (the
solution is cached), so a chain of hundreds of evaluations takes seconds.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import xarray as xr

import escapade
from escapade.fit import DataError, FitError, Measurement, fit, model_values
from escapade.inference import CHAIN_FILE, InferError, infer, parse_prior
from escapade.inference.priors import Prior

GRID = {"nr": 21, "nz": 41, "n_ekin": 12}
BC_CFG = escapade.validate_config({"grid": GRID, "species": {"z_max": 6}})
TRUE_PHI = 0.7
X_GV = np.geomspace(3.0, 300.0, 16)
PHI = "modulation.phi_gv"


@pytest.fixture(scope="module")
def synthetic_bc():
    """B/C of BC_CFG at phi = 0.7 GV with 2 % errors, no scatter."""
    ds = escapade.solve(BC_CFG)
    tpl = Measurement("B/C", "synthetic", X_GV, "rigidity", np.ones_like(X_GV),
                      *(np.zeros_like(X_GV),) * 4, "1", "escapade")  # fmt: skip
    y = model_values(ds, tpl, TRUE_PHI)
    err = 0.02 * y
    return Measurement("B/C", "synthetic", X_GV, "rigidity", y, err, err, 0 * y, 0 * y, "1", "t")


@pytest.mark.parametrize("move", ["stretch", "de"])
def test_posterior_of_phi_recovers_the_truth_with_the_fit_width(synthetic_bc, move):
    ref = fit(BC_CFG, data=[synthetic_bc], free=PHI, rmin_gv=3.0)
    sigma = ref.errors[PHI]
    res = infer(BC_CFG, data=[synthetic_bc], free=[PHI], bounds={PHI: (0.0, 2.0)},
                rmin_gv=3.0, walkers=8, steps=50, seed=3, draws=2, ball=1.0, move=move)  # fmt: skip
    assert res.settings["move"] == move
    s = res.parameters[PHI]
    assert abs(s["median"] - TRUE_PHI) < 0.35 * sigma, (s, sigma)
    assert s["std"] == pytest.approx(sigma, rel=0.3)
    assert s["lo95"] < s["lo68"] < s["median"] < s["hi68"] < s["hi95"]
    assert abs(res.map_values[PHI] - TRUE_PHI) < 0.2 * sigma and res.map_chi2 < 0.05
    # the walkers started around the fit's minimum, recorded in the chain and the summary
    assert res.chain.start["init"] == "fit"
    assert res.chain.start["values"][PHI] == pytest.approx(ref.values[PHI], abs=0.05 * sigma)
    assert res.to_dict()["start"]["errors"][PHI] == pytest.approx(sigma, rel=0.05)
    assert 0.2 < res.diagnostics["acceptance_fraction"] < 0.95
    assert res.diagnostics["tau"][PHI] > 0 and res.diagnostics["ess"][PHI] > 50
    assert res.ndof == len(X_GV) - 1
    assert res.draws[0].shape == (2, len(X_GV))
    assert np.allclose(res.map_model[0], synthetic_bc.y, rtol=0.02)


@pytest.mark.parametrize(
    "text, lo, hi",
    [("uniform:0.2:0.8", 0.2, 0.8), ("loguniform:1e27:1e29", 1e27, 1e29), ("0.6+-0.1", -1, 2)],
)
def test_priors_are_normalised_densities(text, lo, hi):
    p = parse_prior("k", text)
    x = np.geomspace(lo, hi, 200001) if p.kind == "loguniform" else np.linspace(lo, hi, 200001)
    dens = np.exp([p.log_pdf(v) for v in x])
    assert np.trapezoid(dens, x) == pytest.approx(1.0, rel=1e-3)
    assert parse_prior("k", "gauss:0.6:0.1") == Prior("gauss", 0.6, 0.1)
    assert p.log_pdf(hi * 10) == (-math.inf if p.kind != "gauss" else p.log_pdf(hi * 10))


@pytest.mark.parametrize("move", ["stretch", "de"])
def test_resumed_chain_is_the_uninterrupted_chain(synthetic_bc, tmp_path, move):
    kw = dict(data=[synthetic_bc], free=[PHI], bounds={PHI: (0.0, 2.0)}, rmin_gv=3.0,
              walkers=4, steps=8, seed=5, draws=0, init="config", move=move)  # fmt: skip
    whole = infer(BC_CFG, output=tmp_path / "whole", **kw)

    def kill_after_step_3(line: str) -> None:
        if line.startswith("step 3/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        infer(BC_CFG, output=tmp_path / "killed", progress=kill_after_step_3, **kw)
    part = xr.load_dataset(tmp_path / "killed" / CHAIN_FILE)
    assert part.sizes["step"] == 3
    again = infer(BC_CFG, output=tmp_path / "killed", **kw)
    assert np.array_equal(again.chain.chain, whole.chain.chain)
    assert np.array_equal(again.chain.log_prob, whole.chain.log_prob)
    assert again.parameters == whole.parameters
    on_disk = xr.load_dataset(tmp_path / "killed" / CHAIN_FILE)
    assert np.array_equal(on_disk["chain"].values, whole.chain.chain)
    # the same folder with other settings is refused, naming what differs
    with pytest.raises(InferError, match="seed"):
        infer(BC_CFG, output=tmp_path / "killed", **{**kw, "seed": 6})


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(walkers=0), "walkers = 0: give a whole number >= 2"),
        (dict(walkers=1), "walkers = 1"),
        (dict(steps=0), "steps = 0"),
        (dict(free=["diffusion.d0"]), "unknown fit parameter 'diffusion.d0'. Did you mean"),
        (dict(priors={PHI: "uniform:-1:2"}), r"outside the allowed range of modulation.phi_gv"),
        (dict(priors={PHI: "cauchy:0:1"}), "expected uniform:LO:HI"),
        (dict(priors={"diffusion.delta": "uniform:0:1"}), "not a free parameter"),
        (dict(bounds={}), "give its prior range"),
        (dict(data=["B/C:NOPE"]), "NOPE"),
        (dict(init="middle"), "init = 'middle': allowed fit, config"),
        (dict(burn=9), "burn = 9"),
        (dict(move="gibbs"), "move = 'gibbs': allowed stretch, de"),
    ],
)
def test_bad_settings_are_one_line_errors(change, match, tmp_path, synthetic_bc):
    kw = dict(data=[synthetic_bc], free=[PHI], bounds={PHI: (0.0, 2.0)}, walkers=4, steps=3)
    kw.update(change)
    out = tmp_path / "out"
    with pytest.raises((FitError, DataError)) as err:
        infer(BC_CFG, output=out, **kw)
    assert re.search(match, str(err.value)), str(err.value)
    assert "\n" not in str(err.value)
    assert not out.exists()


@pytest.mark.slow
def test_walkers_on_a_local_dask_cluster_make_the_same_chain(synthetic_bc):
    """Two worker processes (each builds its own model once): the chain of the loop."""
    kw = dict(data=[synthetic_bc], free=[PHI], bounds={PHI: (0.0, 2.0)}, rmin_gv=3.0,
              walkers=4, steps=4, seed=2, draws=2, init="config")  # fmt: skip
    here = infer(BC_CFG, **kw)
    there = infer(BC_CFG, workers=2, **kw)
    assert np.array_equal(here.chain.chain, there.chain.chain)
    assert np.allclose(here.draws[0], there.draws[0], rtol=1e-12)


def test_default_priors_follow_the_scale_and_the_limits_of_the_key():
    from escapade.fit.parameters import Parameter
    from escapade.inference.priors import default_prior

    d0 = Parameter("diffusion.d0_cm2_s", "config", 2e28, log=True, lower=0.0)
    assert default_prior(d0) == Prior("loguniform", 2e27, 2e29)
    delta = Parameter("diffusion.delta", "config", 0.6, lower=0.0, upper=1.5)
    assert default_prior(delta) == Prior("uniform", 0.0, 1.5)
    norm = Parameter("norm[B/C:AMS-02]", "norm", 1.0, lower=0.0)
    assert default_prior(norm, 0.03) == Prior("uniform", pytest.approx(0.7), pytest.approx(1.3))
    with pytest.raises(InferError, match=r"--free modulation.phi_gv:LO:HI \(allowed >= 0\)"):
        default_prior(Parameter(PHI, "phi", 0.6, lower=0.0))


def test_a_process_keeps_only_the_latest_fit_problems():
    """Posteriors run one after another in a process do not keep every model alive."""
    from escapade.inference import posterior as post

    saved = dict(post._PROBLEMS)
    try:
        post._PROBLEMS.clear()
        for token in ("a", "b", "c"):
            post._keep(token, object())
        assert list(post._PROBLEMS) == ["b", "c"]
        post._keep("b", post._PROBLEMS["b"])  # used again: the most recent
        post._keep("d", object())
        assert list(post._PROBLEMS) == ["b", "d"]
    finally:
        post._PROBLEMS.clear()
        post._PROBLEMS.update(saved)


@pytest.mark.parametrize("move", ["stretch", "de"])
def test_a_log_uniform_prior_is_sampled_over_its_decades(synthetic_bc, move):
    """Data that do not constrain phi (errors x 1e4): the posterior is the log-uniform prior
    on 0.01-2 GV, so ln(phi) is uniform. The walkers move in ln(phi) with the Jacobian phi
    (without it ln(phi) would pile up at the low end: density ~ 1/phi there); starting in a
    ball of 2 % around 0.7 GV they must cover the decades."""
    y, e = synthetic_bc.y, synthetic_bc.stat_lo * 1e4
    flat = Measurement("B/C", "flat", X_GV, "rigidity", y, e, e, 0 * y, 0 * y, "1", "t")
    res = infer(BC_CFG, data=[flat], free=[PHI], priors={PHI: "loguniform:0.01:2"},
                rmin_gv=3.0, walkers=16, steps=300, burn=50, seed=2, draws=0,
                init="config", ball=0.2, move=move)  # fmt: skip
    lo, hi = math.log(0.01), math.log(2.0)
    u = (np.log(res.chain.chain[50:, :, 0]).ravel() - lo) / (hi - lo)  # uniform on 0-1
    assert u.min() >= 0.0 and u.max() <= 1.0
    assert np.quantile(u, [0.16, 0.5, 0.84]) == pytest.approx([0.16, 0.5, 0.84], abs=0.08)
    assert res.chain.initial[:, 0].std() < 0.05 and u.min() < 0.05 and u.max() > 0.95

"""The letter's source-correlated diffusion model and its effect on the solution."""

import numpy as np
import pytest
from conftest import small_config

import escapade
from escapade.galaxy.sources import Lorimer
from escapade.transport.diffusion import SourceCorrelatedDiffusion, UniformDiffusion


def _model(**kw):
    base = dict(
        d0_cm2_s=3e28,
        reference_rigidity_gv=3.0,
        delta=0.6,
        eta=-0.4,
        z_scale_kpc=4.0,
        halo_height_kpc=4.0,
        sun_r_kpc=8.5,
        profile=Lorimer(sun_r_kpc=8.5),
    )
    base.update(kw)
    return SourceCorrelatedDiffusion(**base)


def test_formula_at_points():
    m = _model(tau=0.85, parallel_ratio=10.0, q_floor=1e-2)
    r, z, rig, beta = 4.0, 1.0, 30.0, 0.9
    q = max(Lorimer(sun_r_kpc=8.5).shape(r), 1e-2)
    perp = 3e28 * q**0.85 * (30 / 3) ** 0.6
    par = 10.0 * 3e28 * q**-0.85 * (30 / 3) ** (1 / 3)
    w = (4.0 / (np.pi * 8.5)) ** 2
    expected = max(perp, w * par) * 0.9**-0.4 * np.exp(1.0 / 4.0)
    assert m.coefficient(r, z, rig, beta) == pytest.approx(expected, rel=1e-12)


def test_tau_zero_without_parallel_is_uniform():
    m = _model(tau=0.0, parallel_ratio=0.0)
    u = UniformDiffusion(3e28, 3.0, 0.6, -0.4, 4.0)
    r = np.linspace(0, 20, 11)
    np.testing.assert_allclose(m.coefficient(r, 0.5, 10.0, 1.0), u.coefficient(r, 0.5, 10.0, 1.0))


def test_floor_and_parallel_branch_cap_the_extremes():
    m = _model(tau=0.85, parallel_ratio=0.0, q_floor=1e-2)
    d_axis = m.coefficient(0.0, 0.0, 3.0, 1.0)
    assert d_axis == pytest.approx(3e28 * 1e-2**0.85)  # Q(0) = 0 for Lorimer: the floor holds
    mp = _model(tau=0.85, parallel_ratio=10.0, q_floor=1e-2)
    # where Q is small the parallel branch wins, so D is larger than D_perp
    assert mp.coefficient(0.0, 0.0, 3.0, 1.0) > 100 * d_axis
    # at the Sun (default ratio) the perpendicular branch wins at every rigidity
    rig = np.geomspace(0.5, 1e5, 30)
    np.testing.assert_allclose(mp.coefficient(8.5, 0.0, rig, 1.0), 3e28 * (rig / 3.0) ** 0.6)


def _gradient_and_anisotropy(tau, ratio):
    cfg = small_config(
        diffusion={"tau": tau, "parallel_ratio": ratio, "d0_cm2_s": 3e28},
        species={"propagate": ["1H"], "abundances": {"1H": 1.0}},
    )
    ds = escapade.solve(cfg)
    prof = ds.density_midplane.sel(species="1H").sel(ekin_gev_per_n=10.0, method="nearest")
    n = prof.values
    r = ds.r_kpc.values
    i4, isun = np.argmin(abs(r - 4.0)), np.argmin(abs(r - 8.5))
    i12 = np.argmin(abs(r - 12.0))
    a1tev = float(ds.anisotropy.sel(species="1H").sel(ekin_gev_per_n=1e3, method="nearest"))
    return n[i4] / n[isun], n[i12] / n[isun], a1tev


@pytest.mark.parametrize("ratio", [0.0, 10.0])
def test_tau_flattens_profile_and_lowers_anisotropy(ratio):
    inner0, outer0, a0 = _gradient_and_anisotropy(0.0, ratio)
    inner1, outer1, a1 = _gradient_and_anisotropy(0.85, ratio)
    # flatter: the inner excess and the outer deficit both shrink
    assert inner1 < inner0 and inner0 > 1.0
    assert outer1 > outer0 and outer0 < 1.0
    # the letter: the anisotropy drops by a large factor (~1/10 from tau = 0 to 1)
    assert a1 < 0.5 * a0


@pytest.mark.parametrize("cls", ["uniform", "source_correlated"])
def test_high_rigidity_break_changes_the_slope_by_delta_change(cls):
    """Genolini et al. 2017 form: slope delta well below R_b, delta - Delta well above,
    b(R_b) = 2^-s, and no break reproduces the unbroken coefficient exactly."""
    kw = dict(break_rigidity_gv=200.0, break_delta_change=0.15, break_smoothness=0.05)
    if cls == "uniform":
        m = UniformDiffusion(d0_cm2_s=3e28, **kw)
        plain = UniformDiffusion(d0_cm2_s=3e28)
    else:
        m, plain = _model(tau=0.85, **kw), _model(tau=0.85)
    rig = np.array([1.0, 2.0, 2e4, 4e4])
    d = m.coefficient(8.5, 0.0, rig, 1.0)
    slope_lo = np.log(d[1] / d[0]) / np.log(2.0)
    slope_hi = np.log(d[3] / d[2]) / np.log(2.0)
    assert slope_lo == pytest.approx(0.6, abs=1e-6)
    assert slope_hi == pytest.approx(0.6 - 0.15, abs=1e-6)
    ratio = m.coefficient(8.5, 0.0, 200.0, 1.0) / plain.coefficient(8.5, 0.0, 200.0, 1.0)
    assert ratio == pytest.approx(2.0**-0.05, rel=1e-12)
    assert np.all(np.isfinite(m.coefficient(8.5, 0.0, np.array([1e-3, 1e9]), 1.0)))
    nobreak = UniformDiffusion(d0_cm2_s=3e28, break_rigidity_gv=200.0, break_delta_change=0.0)
    np.testing.assert_array_equal(
        nobreak.coefficient(8.5, 0.0, rig, 1.0),
        UniformDiffusion(d0_cm2_s=3e28).coefficient(8.5, 0.0, rig, 1.0),
    )


def test_break_from_the_config_reaches_the_model():
    cfg = escapade.with_updates(
        small_config(),
        {"diffusion.break_rigidity_gv": 300.0, "diffusion.break_delta_change": 0.2},
    )
    from escapade.model import build_diffusion

    d = build_diffusion(cfg, Lorimer(sun_r_kpc=8.5))
    assert d.break_rigidity_gv == 300.0 and d.break_delta_change == 0.2
    with pytest.raises(escapade.ConfigError, match="break_rigidity_gv"):
        escapade.with_updates(cfg, {"diffusion.break_rigidity_gv": -1.0})

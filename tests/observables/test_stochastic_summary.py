"""Statistics of the stochastic ensemble (docs/anisotropy.md): the bump of a spectrum against
spectra of known shape, the dipole of one species alone, the probability of a small dipole."""

from __future__ import annotations

import numpy as np
import pytest
from test_stochastic import local, region, settings

from escapade.observables.stochastic.ensemble import make_setup
from escapade.observables.stochastic.result import combine, run_realisations
from escapade.observables.stochastic.summary import (
    bump_excess,
    interp_loglog,
    probability_below,
    species_dipole,
)

E = np.geomspace(1e2, 1e6, 801)  # 200 points per decade


def test_a_power_law_has_no_bump_whatever_its_slope_and_normalisation():
    flux = np.array([3.0 * E**-2.7, 1e-4 * E**-2.0, E**-3.1])
    np.testing.assert_allclose(bump_excess(E, flux), 0.0, atol=1e-12)


def test_a_sharp_softening_gives_the_closed_form():
    e_b, dg = 13.6e3, 0.25  # index 2.60 -> 2.85 at 13.6 TeV, as DAMPE describes its protons
    flux = np.where(E < e_b, (E / e_b) ** -2.60, (E / e_b) ** -2.85)
    expected = dg * np.log(e_b / 1e3) * np.log(1e5 / e_b) / np.log(1e5 / 1e3)
    assert bump_excess(E, flux) == pytest.approx(expected, abs=2e-3)
    assert expected == pytest.approx(0.283, abs=1e-3)
    # a hardening is no bump: the excess is largest (0) at the window's end, the anchor
    hard = np.where(E < e_b, (E / e_b) ** -2.85, (E / e_b) ** -2.60)
    assert bump_excess(E, hard) == pytest.approx(0.0, abs=1e-12)
    assert bump_excess(E, hard, window=(1e4, 5e4)) < -0.05


@pytest.mark.parametrize("peak_gev, inside", [(3e4, True), (2e3, False)])
def test_a_gaussian_bump_is_its_height_inside_the_window_and_nothing_outside(peak_gev, inside):
    a, width = 0.3, 0.15  # +30 %, 0.15 in ln E
    flux = E**-2.7 * (1 + a * np.exp(-0.5 * (np.log(E / peak_gev) / width) ** 2))
    b = bump_excess(E, flux)
    if inside:
        assert b == pytest.approx(np.log(1 + a), abs=1e-3)
    else:
        assert abs(b) < 1e-6
    # realisations along the leading axis: one with the bump, one without
    both = bump_excess(E, np.stack([flux, E**-2.7]))
    assert both.shape == (2,) and both[1] == pytest.approx(0.0, abs=1e-12)


def test_bump_needs_the_anchors_inside_the_sampled_energies():
    e = np.geomspace(2e3, 1e6, 50)
    assert np.isnan(bump_excess(e, e**-2.7))
    with pytest.raises(ValueError, match="increase"):
        bump_excess(E, E**-2.7, anchors=(1e5, 1e3))


def test_interp_loglog_is_exact_for_power_laws_and_nan_outside():
    e = np.geomspace(1.0, 1e3, 7)
    out = interp_loglog([2.0, 500.0, 2e3], e, np.stack([e**-2.0, 5 * e**0.5]))
    np.testing.assert_allclose(out[:, :2], [[0.25, 500.0**-2], [5 * 2**0.5, 5 * 500**0.5]])
    assert np.all(np.isnan(out[:, 2]))


def test_probability_below_counts_realisations():
    amp = np.array([[1e-4, 2e-3], [5e-4, 1e-2], [2e-3, 3e-3], [9e-4, 5e-4]])
    np.testing.assert_allclose(probability_below(amp, 1e-3), [0.75, 0.25])


def test_the_dipole_of_protons_alone_is_that_of_a_proton_only_ensemble():
    both = make_setup(local(include_he=True), settings(n_realisations=30), region(0.5))
    alone = make_setup(local(), settings(n_realisations=30), region(0.5))
    dens, grad = run_realisations(both)
    protons = species_dipole(both, dens, grad, ["1H"])
    ref = np.linalg.norm(combine(alone, *run_realisations(alone))[2], axis=-1)
    assert protons.shape == (30, 3)
    np.testing.assert_allclose(protons, ref, rtol=1e-12)
    all_nuclei = np.linalg.norm(combine(both, dens, grad)[2], axis=-1)
    assert np.abs(all_nuclei - protons).max() > 1e-3 * protons.max()

"""The model-systematic fraction fitted from the data (escapade.sky.systematics)."""

from __future__ import annotations

import numpy as np
import pytest
from test_sky_likelihood import BAND, TRUTH, _simulate
from test_sky_likelihood import templates as templates  # noqa: F401  (the fixture)

from escapade.sky import likelihood as lk
from escapade.sky.compare import igrb_intensity
from escapade.sky.fermi import load_fermi_maps
from escapade.sky.systematics import fit_systematic_fraction


def _with_systematics(templates, f_true, seed=7):
    """Counts whose expectation is off by a factor 1 + f z (z ~ N(0, 1)) per nside-16 pixel."""
    fm = load_fermi_maps()
    full = dict(templates) | {"isotropic": np.full(fm.exposure.size, igrb_intensity(BAND))}
    mu = lk.predicted_counts(full, [TRUTH[k] for k in full], fm.exposure)
    rng = np.random.default_rng(seed)
    group = lk._groups(128, 16, np.arange(mu.size))
    z = rng.normal(size=int(group.max()) + 1)
    return rng.poisson(mu * np.clip(1.0 + f_true * z[group], 0.0, None)).astype(float)


def test_the_injected_systematic_fraction_is_recovered(templates):  # noqa: F811
    r = fit_systematic_fraction(templates, counts=_with_systematics(templates, 0.1))
    width = r.f_hi - r.f_lo
    assert r.f_lo < r.f < r.f_hi and 0.0 < width < 0.05
    assert r.f_lo - width < 0.1 < r.f_hi + width  # measured: 0.103 (0.098-0.109)
    assert r.fit.systematic_fraction == pytest.approx(r.f)
    for name, true in TRUTH.items():
        assert abs(r.fit.value(name) - true) < 2.0 * r.fit.error(name), name
    d = r.as_dict()
    assert d["interval_68"] == [r.f_lo, r.f_hi] and len(d["scan"]) == len(r.scan)


@pytest.mark.slow
def test_a_model_without_systematics_asks_for_a_small_fraction(templates):  # noqa: F811
    r = fit_systematic_fraction(templates, counts=_simulate(templates, TRUTH, 16))
    assert r.f < 0.02 and r.f_lo < 0.01


def test_bad_search_bounds_are_refused(templates):  # noqa: F811
    with pytest.raises(ValueError, match="f_min=0.0"):
        fit_systematic_fraction(templates, f_min=0.0)
    with pytest.raises(ValueError, match="do not pass it"):
        fit_systematic_fraction(templates, systematic_fraction=0.1)

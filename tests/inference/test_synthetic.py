"""Synthetic data for the coverage study (scripts/infer_coverage.py): without noise they are the
model as the fit sees it (chi2 = 0 at the truth), the noise has the real table's errors (pulls
of mean 0 and standard deviation 1), the same seed gives the same table bit for bit, and the
CSV written is read back by ``--data`` unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import escapade
from escapade.fit import DataTerm, load_csv, load_measurement, model_values
from escapade.inference.synthetic import synthetic_measurement, write_csv

CFG = escapade.validate_config(
    {"grid": {"nr": 21, "nz": 41, "n_ekin": 12}, "species": {"z_max": 6}}
)
PHI = 0.7
REAL = ("B/C:AMS-02", "H:AMS-02")


@pytest.fixture(scope="module")
def ds():
    return escapade.solve(CFG)


@pytest.mark.parametrize("name", REAL)
def test_without_noise_the_data_are_the_model_and_the_chi2_is_zero(ds, name, tmp_path):
    real = load_measurement(name)
    m = synthetic_measurement(ds, real, PHI, None)
    assert m.observable == real.observable and m.experiment == "synthetic-AMS-02"
    assert m.x_kind == real.x_kind and m.units == real.units and 0.9 * len(real) < len(m)
    keep = np.isin(real.x, m.x)
    for col in ("x", "stat_lo", "stat_hi", "syst_lo", "syst_hi"):
        assert np.array_equal(getattr(m, col), getattr(real, col)[keep]), col
    assert np.array_equal(m.y, model_values(ds, m, PHI))
    back = load_csv(write_csv(m, tmp_path / "s.csv"))
    for col in ("x", "y", "stat_lo", "stat_hi", "syst_lo", "syst_hi"):
        assert np.array_equal(getattr(back, col), getattr(m, col)), col
    assert back.name == m.name and back.units == m.units
    term = DataTerm.build(back, rmin_gv=5.0)
    model = model_values(ds, term.data, PHI)
    assert term.chi2(model) == pytest.approx(0.0, abs=1e-20)
    assert term.chi2(1.1 * model) > 50.0  # the real errors: a 10 % shift is far off


def test_flux_scale_multiplies_fluxes_not_ratios(ds):
    bc, h = (load_measurement(n) for n in REAL)
    assert np.allclose(
        synthetic_measurement(ds, h, PHI, None, scale=1.1).y,
        1.1 * synthetic_measurement(ds, h, PHI, None).y,
        rtol=1e-14,
    )
    assert np.array_equal(
        synthetic_measurement(ds, bc, PHI, None, scale=1.1).y,
        synthetic_measurement(ds, bc, PHI, None).y,
    )


def test_noise_has_the_real_errors_and_the_seed_fixes_it(ds):
    real = load_measurement("B/C:AMS-02")
    exact = synthetic_measurement(ds, real, PHI, None)
    rng = np.random.default_rng(11)
    pulls = np.concatenate(
        [
            (synthetic_measurement(ds, real, PHI, rng).y - exact.y) / exact.sigma()
            for _ in range(150)
        ]
    )
    n = pulls.size  # 150 tables of ~67 points
    assert abs(pulls.mean()) < 4 / np.sqrt(n)
    assert pulls.std() == pytest.approx(1.0, abs=4 / np.sqrt(2 * n))
    a = synthetic_measurement(ds, real, PHI, np.random.default_rng(5))
    b = synthetic_measurement(ds, real, PHI, np.random.default_rng(5))
    c = synthetic_measurement(ds, real, PHI, np.random.default_rng(6))
    assert np.array_equal(a.y, b.y) and not np.array_equal(a.y, c.y)

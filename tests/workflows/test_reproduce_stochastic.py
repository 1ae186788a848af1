"""`escapade reproduce`'s stochastic nearby sources on a tiny grid with few realisations:
the records, the report's numbers, Figure 3's bands and the knee-region spectra."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from escapade.reproduce.settings import Settings
from escapade.reproduce.stochastic import (
    A_AT_TEV,
    _evaluate_at,
    dampe_bump,
    fitted_d0,
    stochastic_claim,
    stochastic_config,
    stochastic_table,
    summarise_stochastic,
)

TINY = Settings(21, 41, 12, 2, 8, "tiny", stochastic_grid=(21, 41, 11), stochastic_realisations=40)
D0 = {0.0: 1.24e28, 0.85: 1.10e28}


def stacked(records: dict) -> xr.Dataset:
    """The records as the scan stacks them (tau leading, status, points_ok)."""
    ds = xr.concat(list(records.values()), dim=pd.Index(list(records), name="diffusion.tau"))
    ds["status"] = ("diffusion.tau", np.array(["ok"] * len(records), dtype=object))
    ds["error"] = ("diffusion.tau", np.array([""] * len(records), dtype=object))
    ds.attrs["points_ok"] = len(records)
    return ds


@pytest.fixture(scope="module")
def stochastic() -> xr.Dataset:
    pairs = tuple(sorted(D0.items()))
    return stacked({t: _evaluate_at(stochastic_config(TINY, t, 1e28), pairs) for t in D0})


def test_records_use_the_fitted_d0_and_are_reproducible(stochastic):
    cfg = stochastic_config(TINY, 0.85, 1e28)
    assert cfg.species.propagate == ["1H", "4He"] and cfg.grid.ekin_max_gev_per_n == 1e6
    rec = _evaluate_at(cfg, tuple(sorted(D0.items())))
    assert float(rec.d0_cm2_s) == D0[0.85]
    again = stochastic.sel({"diffusion.tau": 0.85})
    assert np.array_equal(rec.proton_bump.values, again.proton_bump.values)  # seeded
    assert np.array_equal(rec.proton_dipole_at.values, again.proton_dipole_at.values)
    q = rec.proton_dipole_quantiles.values
    assert np.all(np.diff(q, axis=0) >= 0) and rec.sizes["realisation"] == 40
    # the median of the 1H flux ratio is near 1; the light flux is 1H + 4He
    assert np.all(np.abs(rec.flux_ratio_quantiles.sel(species="1H").values[2] - 1) < 0.3)
    assert np.all(rec.light_flux_smooth.values[rec.light_etot_gev.values > 1e3] > 0)


def test_summary_numbers_and_report_lines(stochastic):
    st = summarise_stochastic(stochastic, TINY)
    assert st["realisations"] == 40 and st["dampe"]["data"] == "H:DAMPE"
    for tau in ("0", "0.85"):
        row = st[tau]
        for x in A_AT_TEV:
            assert 0.0 <= row[f"p_proton_dipole_below_1e-3_{x:g}tev"] <= 1.0
            assert row[f"proton_dipole_median_{x:g}tev"] > 0
        assert 0.0 <= row["bump_fraction_dampe_size"] <= row["bump_fraction_half_dampe_size"]
        assert abs(row["smooth_bump"]) < 0.05  # the smooth spectrum is close to a power law
    table = stochastic_table(st)
    assert sum(line.startswith("| 0") for line in table) == 2
    claim, verdict, numbers = stochastic_claim(st)
    assert "stochasticity" in claim and "P(A_p < 1e-3)" in numbers and verdict


def test_dampe_has_a_bump_of_the_size_of_its_softening():
    d = dampe_bump(n_draws=200)
    # DAMPE's softening (2.60 -> 2.85 at ~14 TeV, arXiv:1909.12860) gives B = 0.28 by eq. 2
    assert 0.2 < d["bump"] < 0.4 and 0 < d["bump_stat_error"] < 0.1


def test_figure_3_bands_and_the_knee_spectra(stochastic):
    from escapade.plots.reproduce import anisotropy_figure, knee_spectra_figure

    e = np.geomspace(10.0, 1e5, 9)
    letter = xr.Dataset(
        {"anisotropy": (("diffusion.tau", "ekin_gev_per_n"), np.outer([1.0, 0.3], 1e-4 * e**0.5))},
        coords={"diffusion.tau": [0.0, 0.85], "ekin_gev_per_n": e},
    )
    fig = anisotropy_figure(letter, stochastic)
    ax = fig.axes[0]
    assert ax.get_xlim() == pytest.approx((1e2, 1e6))
    assert len(ax.collections) >= 4  # 68 and 95 % bands for both taus
    assert any("nearby sources" in t.get_text() for t in ax.get_legend().get_texts())
    knee = knee_spectra_figure(stochastic)
    labels = [t.get_text() for a in knee.axes for t in a.get_legend().get_texts()]
    for name in ("H:LHAASO(EPOS-LHC)", "He:KASCADE(Kuznetsov2024)", "light:HAWC", "H:DAMPE"):
        assert name in labels


def test_fitted_d0_takes_the_ok_points_of_the_letter_scan():
    letter = xr.Dataset(
        {
            "d0_cm2_s": ("diffusion.tau", [1.2e28, 1.1e28, 1.0e28]),
            "status": ("diffusion.tau", np.array(["ok", "failed", "ok"], dtype=object)),
        },
        coords={"diffusion.tau": [0.0, 0.85, 1.0]},
    )
    assert fitted_d0(letter) == {0.0: 1.2e28}

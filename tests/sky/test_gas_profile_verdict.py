"""The number that says the gas is real (issue 16), against the Fermi-LAT data.

The letter's model (the letter preset, tau = 0.85 and tau = 0, 1H + 4He and the leptons; the
transport on the preset's analytic gas, as the B/C fits are made) seen through each gas model,
then the issue's reduction of the longitude profile: 180 bins of 2 deg, |b| < 5 deg, 2-20 GeV,
the shipped point-source mask, exposure-weighted bins, statistical errors, one free
normalisation of the whole model and a free isotropic term (``fermi_comparison(...,
fit_norm=True)``). The full reproduction (81 x 161 x 64, the B/C-fitted D0 per tau, nside 128)
gives 4831 at tau = 0.85 with the survey3d gas and its dark gas (the defaults: SFD98, R_dg
calibrated), 12441 without the dark gas, 10449 with the Planck 2013 dark gas and 22932 with the
analytic gas (docs/gamma.md); this test redoes it on 41 x 81 x 32 with the preset's D0 at
nside 64: 4821 at tau = 0.85 and 9295 at tau = 0.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from escapade.config import load_config, with_updates
from escapade.sky.compare import fermi_comparison
from escapade.sky.templates import process_maps, skymap_of_processes
from escapade.solution import Solution

BAND = (2.0, 20.0)
SURVEY_DARK = {"gas.model": "survey3d", "gas.dark_gas": True}


@pytest.fixture(scope="module")
def letter_solutions():
    preset = Path(str(resources.files("escapade").joinpath("configs/letter_tau0.85.toml")))
    base = with_updates(
        load_config(preset),
        {
            "grid.nr": 41,
            "grid.nz": 81,
            "grid.n_ekin": 32,
            "species.z_max": 2,
            "species.antiprotons": False,
            "leptons.enabled": True,
        },
    )
    return {
        tau: Solution.compute(with_updates(base, {"diffusion.tau": tau}), full=True)
        for tau in (0.0, 0.85)
    }


def _profile_chi2(sol, gas_updates) -> float:
    seen = Solution(sol.dataset, with_updates(sol.config, gas_updates))
    smap = skymap_of_processes(process_maps(seen, BAND, 64), 64, BAND)
    return float(fermi_comparison(smap, fit_norm=True).attrs["chi2"])


@pytest.mark.slow
def test_survey_gas_with_dark_gas_reaches_the_issue_chi2(letter_solutions):
    """chi2 <= 8000 with the survey3d gas and its dust-residual dark gas; the analytic gas,
    through the same reduction, stays far above (the test can fail)."""
    chi2 = _profile_chi2(letter_solutions[0.85], SURVEY_DARK)
    assert chi2 <= 8000.0, chi2
    analytic = _profile_chi2(letter_solutions[0.85], {"gas.model": "galprop_analytic"})
    assert analytic > 2.0 * chi2, (analytic, chi2)


@pytest.mark.slow
def test_uniform_diffusion_is_too_steep_through_the_survey_gas(letter_solutions):
    """The letter's gradient problem in the data: tau = 0 (uniform diffusion) fits the
    profile worse than tau = 0.85 by far more than the difference of two chi2 draws."""
    steep = _profile_chi2(letter_solutions[0.0], SURVEY_DARK)
    letter = _profile_chi2(letter_solutions[0.85], SURVEY_DARK)
    assert steep > letter + 2000.0, (steep, letter)

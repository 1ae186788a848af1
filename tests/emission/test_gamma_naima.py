"""pi0 emissivity against an independent evaluation: naima's PionDecay (Kafexhiu et al. 2014).

naima is a test-only dependency (BSD-3); the test is skipped without it.
"""

import numpy as np
import pytest
import xarray as xr

from escapade.constants import FOUR_PI, M_PROTON_GEV
from escapade.emission.pion import emissivity_per_h_atom

naima = pytest.importorskip("naima")
u = pytest.importorskip("astropy.units")


def test_pi0_emissivity_agrees_with_naima():
    """Power-law protons dN/dE_kin = E^-2.7 (1 per cm^3 per GeV at 1 GeV), no He:
    escapade's production matrix and naima's Kafexhiu 2014 parametrisation agree within
    the cross-section models' stated accuracy (~20-30 %) above 1 GeV."""
    ekin = np.geomspace(0.3, 1e5, 140)
    dens = 1.0 * ekin**-2.7  # 1/(cm^3 GeV)
    da = xr.DataArray(
        dens[None, :],
        dims=("species", "ekin_gev_per_n"),
        coords={"species": ["1H"], "ekin_gev_per_n": ekin},
    )
    eg = np.array([1.0, 3.0, 10.0, 30.0, 100.0])
    q = emissivity_per_h_atom(da, eg, he_to_h=0.0).values  # ph / (s sr GeV H)

    # naima: a population W(E) [1/eV] of protons in gas of density nh emits dN/dE dt;
    # with W = N x 1 cm^3 and nh = 1 cm^-3 that is 4 pi q per H atom.
    class Table:
        def __call__(self, e):
            e_gev = e.to_value(u.GeV)
            t = e_gev - M_PROTON_GEV
            val = np.interp(np.log(np.maximum(t, 1e-6)), np.log(ekin), np.log(dens))
            out = np.where(t > ekin[0], np.exp(val), 0.0) * 1e-9  # per GeV -> per eV
            return out / u.eV

    pd = naima.models.PionDecay(
        Table(), nh=1.0 * u.cm**-3, nuclear_enhancement=False, Epmax=1e14 * u.eV
    )
    rate = pd.flux(eg * u.GeV, distance=0 * u.cm).to_value(1 / (u.s * u.GeV))
    ratio = q * FOUR_PI / rate
    print("escapade / naima:", np.round(ratio, 3))
    assert np.all((ratio > 0.7) & (ratio < 1.35)), ratio

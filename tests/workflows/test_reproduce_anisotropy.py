"""`escapade reproduce` reports the letter's Figure 3 quantity: the radial dipole of protons."""

from conftest import tiny_config

import escapade
from escapade.reproduce.evaluate import LETTER_ANISOTROPY, letter_anisotropy


def test_letter_anisotropy_is_the_radial_dipole_of_protons():
    sol = escapade.solve(tiny_config(species={"propagate": ["1H", "4He"]}))
    a = letter_anisotropy(sol)
    assert "radial dipole of protons" in LETTER_ANISOTROPY and "eq. 2" in LETTER_ANISOTROPY
    assert a.dims == ("ekin_gev_per_n",)
    assert (a.values == sol["anisotropy"].sel(species="1H").values).all()  # 3 D |dN/dR| / (c N)
    # not the total (radial + vertical) dipole of all nucleons the solution also carries
    assert (sol["anisotropy_total"].sel(species="1H").values >= a.values).all()
    assert abs(sol["anisotropy_all_nuclei"].values - a.values).max() > 0

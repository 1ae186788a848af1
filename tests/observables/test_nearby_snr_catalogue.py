"""The bundled catalogue of known nearby remnants (issue 18): it loads by name, every row has
its reference and physical values, a few rows are pinned to the numbers read from their
sources (escapade/data/stochastic/README.md), and a wrong name is one line."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest

import escapade
from escapade.config import ConfigError
from escapade.observables.stochastic import BUNDLED_CATALOGUES, CATALOGUE_COLUMNS, read_catalogue
from escapade.observables.stochastic.population import OPTIONAL_COLUMNS


def _rows(name: str = "nearby_snr") -> list[dict]:
    text = resources.files("escapade.data.stochastic").joinpath(f"{name}.csv").read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def test_bundled_catalogue_loads_by_name_with_a_reference_per_row():
    assert BUNDLED_CATALOGUES == ("nearby_snr",)
    cat = read_catalogue("nearby_snr")
    rows = _rows()
    assert len(cat) == len(rows) >= 5
    for col in CATALOGUE_COLUMNS + OPTIONAL_COLUMNS + ("reference",):
        assert col in rows[0], col
    assert all(len(r["reference"].strip()) > 20 for r in rows)
    assert len(set(cat.name)) == len(cat)
    assert np.all(cat.distance_kpc > 0) and np.all(cat.age_kyr > 0)
    assert np.all(cat.distance_err_kpc >= 0) and np.all(cat.age_err_kyr >= 0)
    assert np.all(cat.distance_err_kpc < cat.distance_kpc)  # no row is all uncertainty
    assert np.all((cat.l_deg >= 0) & (cat.l_deg < 360)) and np.all(np.abs(cat.b_deg) <= 90)
    # the scale: within ~1-2 kpc, ages up to ~1-2 Myr
    assert cat.distance_kpc.max() < 2.0 and cat.age_kyr.max() < 2000.0


@pytest.mark.parametrize(
    ("name", "values"),
    [
        # Fesen et al. 2021 (arXiv:2109.05368): 725 +- 15 pc, ~2e4 yr, G74.0-8.5
        ("Cygnus Loop", (0.725, 0.015, 20.0, 0.0, 74.0, -8.5)),
        # Dincel et al. 2015 (arXiv:1501.07220): 1333 +103 -112 pc, 30 +- 4 kyr; G180.0-1.7
        ("S147", (1.333, 0.112, 30.0, 4.0, 180.0, -1.7)),
        # Cha et al. 1999: 250 +- 30 pc; Bock et al. 1998: 11,400 yr, G263.9-3.3
        ("Vela", (0.250, 0.030, 11.4, 0.0, 263.9, -3.3)),
        # Leahy & Tian 2006: 0.8 +- 0.4 kpc, Sedov age 6600 yr; G160.9+2.6
        ("HB 9", (0.8, 0.4, 6.6, 0.0, 160.9, 2.6)),
    ],
)
def test_rows_are_the_numbers_read_from_their_sources(name, values):
    cat = read_catalogue("nearby_snr")
    k = cat.name.index(name)
    got = (
        cat.distance_kpc[k],
        cat.distance_err_kpc[k],
        cat.age_kyr[k],
        cat.age_err_kyr[k],
        cat.l_deg[k],
        cat.b_deg[k],
    )
    np.testing.assert_allclose(got, values, rtol=0, atol=1e-12)


def test_geminga_l_b_are_its_ra_dec_in_galactic_coordinates():
    from astropy.coordinates import SkyCoord

    cat = read_catalogue("nearby_snr")
    k = cat.name.index("Geminga")
    g = SkyCoord("06h33m54.15s", "+17d46m12.9s", frame="icrs").galactic  # as read (README)
    assert cat.l_deg[k] == pytest.approx(g.l.deg, abs=0.005)
    assert cat.b_deg[k] == pytest.approx(g.b.deg, abs=0.005)


def test_a_path_keeps_precedence_over_a_bundled_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nearby_snr").write_text("name,distance_kpc,age_kyr,l_deg,b_deg\nA,0.3,50,10,5\n")
    cat = read_catalogue("nearby_snr")
    assert cat.name == ("A",)


def test_unknown_name_is_one_line_naming_key_value_and_the_bundled_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        read_catalogue("nearby_snrs")
    msg = str(err.value)
    assert "\n" not in msg
    for part in ("stochastic.catalogue", "'nearby_snrs'", "nearby_snr)", "cannot be read"):
        assert part in msg


def test_config_accepts_the_bundled_name_alone():
    cfg = escapade.validate_config(
        {"stochastic": {"enabled": True, "random_population": False, "catalogue": "nearby_snr"}}
    )
    assert cfg.stochastic.catalogue == "nearby_snr"

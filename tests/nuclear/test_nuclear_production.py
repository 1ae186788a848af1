"""Production cross-section sets: loaders at their nodes, folding, errors."""

import math

import numpy as np
import pytest

from escapade.nuclear import production as P
from escapade.nuclear.crosssections import CrossSectionError
from escapade.nuclear.decays import cr_species

# USINE grid as printed in the file headers (6 significant digits):
# Ekn_i = 0.01 * 1000**(i/40) GeV/n
USINE_GRID = P.usine_production_table("galprop12")[0]


def test_usine_grid_from_header():
    grid, rows = P.usine_production_table("galprop12")
    assert grid.size == 41 and grid[0] == 0.01 and grid[-1] == 10.0
    assert grid[27] == 1.05925  # header value
    np.testing.assert_allclose(grid, 0.01 * 1000.0 ** (np.arange(41) / 40.0), rtol=5e-6)
    for name in ("wks98", "coste12"):
        np.testing.assert_array_equal(P.usine_production_table(name)[0], grid)
    assert len(rows) == 5570


@pytest.mark.parametrize(
    ("set_name", "parent", "daughter", "target", "node", "value"),
    [
        # values read off the raw CSV rows (s<node> columns)
        ("galprop12", (26, 58), (26, 57), "H", 0, 125.5226),
        ("galprop12", (26, 58), (26, 57), "He", 0, 162.758),
        ("galprop12", (6, 12), (5, 11), "H", 27, 57.40134),
        ("galprop12", (6, 12), (5, 11), "He", 27, 73.37742),
        ("galprop12", (8, 16), (7, 15), "H", 40, 64.8),
        ("galprop12", (8, 16), (7, 15), "He", 0, 0.7738492),
        # coste12 replaces the main set's light channels
        ("galprop12", (2, 4), (2, 3), "H", 16, 64.9815),
        ("galprop12", (2, 4), (2, 3), "He", 5, 26.5261),
        ("evoli2019", (2, 4), (1, 2), "He", 27, 83.26852),
        ("wks98", (1, 2), (1, 1), "H", 40, 64.50686),
        # wks98, ghosts folded: 12C -> 11B = 11B row + 11C row
        ("wks98", (6, 12), (5, 11), "H", 0, 32.57083 + 26.20719),
        ("wks98", (6, 12), (5, 11), "He", 40, 39.5445 + 29.68356),
    ],
)
def test_usine_sets_at_nodes(set_name, parent, daughter, target, node, value):
    got = P.production_mb(set_name, parent, daughter, target, USINE_GRID[node])
    assert float(got) == pytest.approx(value, rel=1e-5)


def test_raw_wks98_rows():
    _, rows = P.usine_production_table("wks98")
    assert rows[(14, 30, 14, 29, "H")][0] == 45.5945
    assert rows[(14, 30, 14, 29, "He")][0] == 47.59296
    assert rows[(6, 12, 6, 11, "H")][27] == 25.66733


@pytest.mark.parametrize(
    ("parent", "daughter", "t_mev", "value"),
    [
        ((6, 12), (5, 11), 957.5, 59.24),
        ((6, 12), (5, 11), 1029.0, 59.0),
        ((26, 56), (16, 32), 10.0, 0.3715),
        ((26, 56), (5, 10), 3050.0, 0.171),
        ((8, 16), (5, 10), 1.0e6, 10.41),
    ],
)
def test_evoli2019_at_nodes_mev(parent, daughter, t_mev, value):
    e = t_mev * 1e-3  # the file is in MeV/n
    assert float(P.production_mb("evoli2019", parent, daughter, "H", e)) == pytest.approx(value)
    assert P.production_set("evoli2019").source_of(parent, daughter) == "evoli2019"
    t, s = P.evoli2019_table()[parent + daughter]
    assert t.size == 160 and t[0] == 0.01 and t[-1] == 1000.0


def test_evoli2019_he_is_ferrando_scaled():
    e = np.array([0.3, 0.6, 1.0, 5.0, 50.0])
    h = P.production_mb("evoli2019", "12C", "11B", "H", e)
    he = P.production_mb("evoli2019", "12C", "11B", "He", e)
    np.testing.assert_allclose(he, h * P.he_to_h_ratio_ferrando88(e, 6, 5))
    # fallback channel keeps galprop12's own He row
    ps = P.production_set("evoli2019")
    assert ps.source_of("56Fe", "55Mn") == "galprop12"
    np.testing.assert_allclose(
        ps.sigma_mb("56Fe", "55Mn", "He", e), P.production_mb("galprop12", "56Fe", "55Mn", "He", e)
    )


def test_ferrando_formula_by_hand():
    # E > 1.51 GeV/n: mu = 0.031, Delta = 4.40; F(26) = 1, F(6) = -0.76
    r = P.he_to_h_ratio_ferrando88(2.0, 26, 25)
    assert float(r) == pytest.approx(math.exp(0.031 * abs(1 - 4.40) ** 1.43))
    # E < 0.43 GeV/n: mu = 0.082, Delta = 2.45
    r = P.he_to_h_ratio_ferrando88(0.2, 6, 5)
    assert float(r) == pytest.approx(math.exp(0.082 * abs(1 + 0.76 * 2.45) ** 1.43))
    # at the 0.73 GeV/n node, O (F = -0.41): mu = 0.047, Delta = 3.45
    r = P.he_to_h_ratio_ferrando88(0.73, 8, 5)
    assert float(r) == pytest.approx(math.exp(0.047 * abs(3 + 0.41 * 3.45) ** 1.43))
    # dZ > Z/2: power law continued from dZ = Z/2 (continuous there)
    at = P.he_to_h_ratio_ferrando88(2.0, 26, 13)
    beyond = P.he_to_h_ratio_ferrando88(2.0, 26, 12)
    assert beyond > at > 1.0


def test_constant_extrapolation_and_log_interpolation():
    lo = P.production_mb("galprop12", "12C", "11B", "H", [1e-4, USINE_GRID[0]])
    hi = P.production_mb("galprop12", "12C", "11B", "H", [USINE_GRID[-1], 1e3, 1e5])
    assert lo[0] == lo[1] and np.all(hi == hi[0])
    mid = math.sqrt(USINE_GRID[27] * USINE_GRID[28])  # half-way in ln E
    ends = P.production_mb("galprop12", "12C", "11B", "H", USINE_GRID[27:29])
    assert float(P.production_mb("galprop12", "12C", "11B", "H", mid)) == pytest.approx(ends.mean())


@pytest.mark.parametrize("set_name", P.PRODUCTION_SETS)
def test_channels_bookkeeping(set_name):
    chans = P.channels(set_name, 28)
    species = set(cr_species())
    assert len(chans) > 2000
    for p, d in chans:
        assert p in species and d in species
        # fragmentation removes nucleons; the one exception is p p -> d pi+ (Coste 2012)
        assert d[1] < p[1] or (p, d) == ((1, 1), (1, 2))
    e = np.geomspace(0.005, 2e3, 12)
    ps = P.production_set(set_name)
    for p, d in chans[::37]:
        for t in ("H", "He"):
            s = ps.sigma_mb(p, d, t, e)
            assert np.all(np.isfinite(s)) and np.all(s >= 0)
    assert all(p[0] <= 8 and d[0] <= 8 for p, d in P.channels(set_name, 8))


def test_wks98_folding_conserves_tabulated_cross_section():
    grid, rows = P.usine_production_table("wks98")
    ps = P.production_set("wks98")
    raw = sum(v[27] for k, v in rows.items() if k[:2] == (16, 16) and k[4] == "H")
    folded = sum(
        float(ps.sigma_mb(p, d, "H", grid[27]))
        for p, d in ps.channels()
        if p == (16, 16) and ps.source_of(p, d) == "wks98"
    )
    lost = ps.folding_report()["unfoldable_max_mb"][((8, 16), (5, 8))]  # 8B
    assert lost < 0.01
    assert folded == pytest.approx(raw, abs=lost)
    assert ps.fragments_of("16O", "15N") == ((7, 15), (8, 15))


def test_errors_name_set_and_choices():
    with pytest.raises(CrossSectionError, match="'webber' is unknown; allowed: evoli2019"):
        P.production_mb("webber", "12C", "11B", "H", 1.0)
    with pytest.raises(CrossSectionError, match=r"galprop12.*58Ni -> 57Co"):
        P.production_mb("galprop12", "58Ni", "57Co", "H", 1.0)
    with pytest.raises(CrossSectionError, match="target 'He3'"):
        P.production_mb("galprop12", "12C", "11B", "He3", 1.0)
    # coste12 can be left out: 4He -> 3He is then galprop12's own row
    s = P.production_mb("galprop12", "4He", "3He", "H", USINE_GRID[16], light=False)
    assert float(s) == pytest.approx(52.10426)


def test_ferrando_reproduces_wks98_he_rows():
    """USINE's WKS98 He rows are H rows times the same Ferrando scaling (to 1e-5)."""
    grid, rows = P.usine_production_table("wks98")
    n = 0
    for (zp, ap, zd, ad, t), s_h in rows.items():
        if t != "H":
            continue
        s_he = rows[(zp, ap, zd, ad, "He")]
        ok = s_h > 0
        ratio = P.he_to_h_ratio_ferrando88(grid[ok], zp, zd)
        np.testing.assert_allclose(s_he[ok], s_h[ok] * ratio, rtol=1e-5)
        n += 1
    assert n == 992

"""Decay tables: half-lives, modes, daughters, CR species and ghost folding."""

import math

import pytest

from escapade.constants import MYR_S
from escapade.nuclear import decays as d


@pytest.mark.parametrize(
    ("za", "t_myr", "mode", "daughter"),
    [
        # USINE chart values in kyr (nuclide_chart_decays_USINE_Z28.txt)
        ((4, 10), 1.510, "beta-", (5, 10)),
        ((13, 26), 0.910, "beta+", (12, 26)),
        ((17, 36), 0.307, "beta-", (18, 36)),
        ((6, 14), 0.0057, "beta-", (7, 14)),
        ((25, 54), 0.630, "beta-", (26, 54)),
        ((26, 60), 2.600, "beta-", (27, 60)),
    ],
)
def test_usine_half_lives(za, t_myr, mode, daughter):
    info = d.decay(*za)
    assert info.half_life_myr == pytest.approx(t_myr, rel=1e-12)
    assert d.half_life_myr(*za) == info.half_life_myr
    assert info.mode == mode == d.decay_mode(*za)
    assert info.daughter == daughter == d.decay_daughter(*za)
    assert info.lifetime_myr == pytest.approx(t_myr / math.log(2.0))


@pytest.mark.parametrize(
    ("za", "seconds"),
    [
        # DRAGON2 isotope_list.dat, naked-nucleus column (seconds)
        ((4, 10), 4.765e13),
        ((13, 26), 2.87455e13),
        ((17, 36), 9.499e12),
        ((6, 14), 1.799e11),
        ((25, 54), 1.98813e13),
        ((26, 60), 4.734e13),
    ],
)
def test_dragon2_half_lives_in_seconds(za, seconds):
    assert d.half_life_myr(*za, source="dragon2") == pytest.approx(seconds / MYR_S, rel=1e-12)
    # 10Be: 4.765e13 s = 1.51 Myr, same as the USINE chart
    if za == (4, 10):
        assert d.half_life_myr(*za, source="dragon2") == pytest.approx(1.51, rel=1e-3)


def test_raw_tables_units():
    chart = d.usine_chart()
    assert chart[(4, 10)] == ("BETA-", 1510.0)  # kyr
    assert chart[(1, 1)] == ("STABLE", -1.0)
    assert len(chart) == 88
    lst = d.dragon2_list()
    assert lst[(13, 26)] == ("ECB+", 1.2872298e14, 2.87455e13)
    assert lst[(4, 7)] == ("EC", 4598208.0, 4598208.0)


def test_electron_capture_nuclides_are_stable_when_stripped():
    for za in [(4, 7), (18, 37), (20, 41), (22, 44), (23, 49), (24, 51), (25, 53), (26, 55)]:
        for src in d.DECAY_SOURCES:
            assert d.half_life_myr(*za, source=src) == math.inf
            assert d.decay_daughter(*za, source=src) is None
            assert d.is_cr_species(*za, source=src)


def test_decay_target_follows_ghosts():
    assert d.decay_target(28, 56) == (26, 56)  # via 56Co
    assert d.decay_target(26, 60) == (28, 60)  # via 60Co
    assert d.decay_target(4, 10) == (5, 10)
    assert d.decay_target(6, 12) is None


def test_cr_species_and_threshold():
    species = d.cr_species()
    assert len(species) == 88
    assert species[0] == (28, 64) and species[-1] == (1, 1)
    assert (6, 14) in species and (28, 56) in species
    # 100 kyr: 14C (5.7 kyr) and 56Ni (51 kyr) become ghosts
    longer = d.cr_species(threshold_myr=0.1)
    assert set(species) - set(longer) == {(6, 14), (28, 56)}
    assert d.fold_target(6, 14, threshold_myr=0.1).target == (7, 14)
    assert d.cr_species(z_max=8)[0] == (8, 18)
    with pytest.raises(d.DecayError, match="beyond the USINE chart"):
        d.cr_species(z_max=30)


def test_ghost_folding():
    assert d.fold_target(6, 11).target == (5, 11)  # 11C beta+ (DRAGON2 list)
    assert d.fold_target(1, 3).target == (2, 3)  # 3H, 12.3 yr
    assert not d.fold_target(6, 11).assumed
    f = d.fold_target(8, 15)  # 15O: in no table, isobar rule
    assert f.target == (7, 15) and f.assumed
    assert d.fold_target(7, 17).target == (8, 17)
    assert d.fold_target(12, 26).chain == ((12, 26),)
    with pytest.raises(d.DecayError, match="A=8"):
        d.fold_target(5, 8)


def test_unknown_source():
    with pytest.raises(d.DecayError, match="allowed: usine, dragon2"):
        d.half_life_myr(4, 10, source="nndc")

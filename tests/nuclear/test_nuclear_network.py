"""The network as data: species, solve order, channels, secondary sources."""

import math

import numpy as np
import pytest

from escapade.constants import C_CM_S, MB_CM2, MYR_S
from escapade.nuclear.crosssections import CrossSectionError
from escapade.nuclear.network import Network, NetworkError
from escapade.nuclear.production import production_mb
from escapade.species import nuclide


@pytest.fixture(scope="module")
def full():
    return Network.build(z_max=28, production="evoli2019")


def test_species_and_order(full):
    assert len(full.species) == 88
    assert full.species[0] == "64Ni" and full.species[-2:] == ("1H", "2H")
    pos = full.position
    for a, b in [("10Be", "10B"), ("14C", "14N"), ("36Cl", "36Ar"), ("54Mn", "54Fe")]:
        assert pos(a) < pos(b)
    assert pos("60Fe") < pos("60Ni") and pos("56Ni") < pos("56Fe")
    # parents before daughters, every channel: 1H (p p -> d pi+) comes before 2H
    assert full.backward == ()
    for p, d, kind in full.channel_list():
        assert pos(p) < pos(d)
        a_p, a_d = nuclide(p).a, nuclide(d).a
        if (p, d) != ("1H", "2H"):
            assert a_d < a_p if kind == "spallation" else a_d == a_p


def test_a_feeding_cycle_sets_the_channels_to_heavier_daughters_aside():
    """Secondary protons (2H -> 1H beside 1H -> 2H) make a cycle: heaviest first again, and
    1H -> 2H is reported as backward (the transport marches 2H a second time)."""
    net = Network.build(z_max=2, production="evoli2019", secondary_protons=True)
    assert net.species == ("4He", "3He", "2H", "1H")
    assert net.backward == (("1H", "2H", "spallation"),)


def test_radioactive_species(full):
    r = full.radioactive
    assert set(r) == {"10Be", "14C", "26Al", "36Cl", "54Mn", "56Ni", "60Fe"}
    assert r["10Be"].daughter == "10B" and r["56Ni"].daughter == "56Fe"
    assert r["10Be"].lifetime_myr == pytest.approx(1.51 / math.log(2.0))
    assert full.decay_parents["10B"] == ("10Be",)
    assert full.lifetime_myr("12C") == math.inf
    e = 1.0
    gamma = 1.0 + e / nuclide("10Be").mass_per_nucleon_gev
    assert float(full.decay_rate_per_myr("10Be", e)) == pytest.approx(
        math.log(2.0) / (1.51 * gamma)
    )


def test_z14_and_threshold():
    net = Network.build(z_max=14, production="galprop12", threshold_myr=0.1)
    assert "14C" not in net.species and "28Si" in net.species
    assert all(nuclide(n).z <= 14 for n in net.species)
    assert not any(d == "1H" for _, d, _ in net.channel_list())
    with_p = Network.build(z_max=2, secondary_protons=True)
    assert {p for p, d, _ in with_p.channel_list() if d == "1H"} == {"4He", "3He", "2H"}


def test_secondary_source_by_hand():
    net = Network.build(isotopes=["12C", "11B", "10Be", "10B"], production="galprop12")
    assert net.species == ("12C", "11B", "10Be", "10B")
    e = np.array([0.5, 2.0])
    rates = net.at_energies(e)
    k = 1
    shape = (3, 2)
    dens = {"12C": np.full(shape, 2.0), "11B": np.full(shape, 0.5), "10Be": np.full(shape, 0.1)}
    n_h = np.linspace(0.1, 1.0, 6).reshape(shape)
    n_he = 0.1 * n_h
    unit = C_CM_S * MB_CM2 * MYR_S
    expect = np.zeros(shape)
    for p in ("12C", "11B"):
        beta = nuclide(p).beta(e[k])
        s_h = production_mb("galprop12", p, "10B", "H", e[k])
        s_he = production_mb("galprop12", p, "10B", "He", e[k])
        expect += beta * unit * (n_h * s_h + n_he * s_he) * dens[p]
    expect += dens["10Be"] * math.log(2.0) / (1.51 * nuclide("10Be").gamma(e[k]))
    got = rates.secondary_source("10B", k, dens, n_h, n_he)
    np.testing.assert_allclose(got, expect, rtol=1e-12)
    np.testing.assert_allclose(
        net.secondary_source("10B", e[k], dens, n_h, n_he), expect, rtol=1e-12
    )
    assert np.all(rates.secondary_source("12C", k, dens, n_h, n_he) == 0.0)
    # the transport's gas, helium a fixed fraction of the hydrogen: one sum per parent
    got_gas = rates.secondary_source_on_gas("10B", k, dens, n_h, 0.1)
    np.testing.assert_allclose(got_gas, expect, rtol=1e-12)
    assert np.all(rates.secondary_source_on_gas("12C", k, dens, n_h, 0.1) == 0.0)
    assert np.all(dens["12C"] == 2.0)  # the parents' densities are not overwritten
    with pytest.raises(NetworkError, match="density of 11B"):
        rates.secondary_source("10B", k, {"12C": dens["12C"]}, n_h, n_he)


def test_loss_rate_units():
    net = Network.build(isotopes=["10Be"])
    e, n_h, n_he = 1.0, 1.0, 0.1
    beta = nuclide("10Be").beta(e)
    spall = (
        beta
        * C_CM_S
        * MB_CM2
        * MYR_S
        * (n_h * net.inelastic_mb("10Be", "H", e) + n_he * net.inelastic_mb("10Be", "He", e))
    )
    assert float(net.loss_rate_per_myr("10Be", e, n_h, n_he)) == pytest.approx(
        spall + float(net.decay_rate_per_myr("10Be", e))
    )


def test_build_errors():
    with pytest.raises(NetworkError, match="11C is not a propagated.*folded into 11B"):
        Network.build(isotopes=["12C", "11C"])
    with pytest.raises(NetworkError, match="exactly one"):
        Network.build()
    with pytest.raises(CrossSectionError, match="allowed: evoli2019, galprop12, wks98"):
        Network.build(z_max=8, production="nope")
    with pytest.raises(CrossSectionError, match="'webber03' has no cross section for: .*14C"):
        Network.build(z_max=8, inelastic="webber03")
    with pytest.raises(NetworkError, match="z_max=30"):
        Network.build(z_max=30)


def test_ancestors_are_the_species_that_feed_a_daughter(full):
    """B/C reads 10B and 11B: they are fed by heavier isotopes (spallation) and by 10Be
    (decay), never by H, He, Li or the light Be isotopes (nor by the Ni isotopes, whose
    channels to B the network's threshold drops); the set is closed under parents."""
    up = full.ancestors(["10B", "11B"])
    assert "10Be" in up and "56Fe" in up and "12C" in up
    assert not up & {"1H", "2H", "3He", "4He", "6Li", "7Li", "7Be", "9Be"}
    assert all(set(full.parents(d)) <= up for d in up)
    # a species no one feeds is its own closure; names outside the network are ignored
    assert full.ancestors(["64Ni"]) == {"64Ni"}
    assert full.ancestors(["pbar"]) == set()
    # 2H is fed backwards by 1H (p p -> d pi+)
    assert "1H" in full.ancestors(["2H"])

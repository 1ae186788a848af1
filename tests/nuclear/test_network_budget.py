"""Particle bookkeeping through the network: every daughter receives exactly what its
parents' spallation and decay produce, and every species' budget closes."""

import numpy as np
from conftest import small_config

from escapade.constants import C_CM_S, MB_CM2, MYR_S
from escapade.model import Model


def test_network_budget_closes_species_by_species():
    cfg = small_config(species={"z_max": 8}, losses={"enabled": False}, grid={"n_ekin": 8})
    m = Model.from_config(cfg)
    res = m.solve_species()
    g, net = m.grid, m.network
    vol = g.volume_kpc3 * g.interior
    rate = C_CM_S * MB_CM2 * MYR_S
    checked = 0
    for name in net.species:
        nuc = net.nuclides[name]
        r = res[name]
        # the transport closes: injected = escaped + destroyed at every energy
        np.testing.assert_allclose(r.escaped + r.destroyed, r.injected, rtol=1e-6, atol=1e-300)
        prim = m.source_spectrum(nuc)
        for k, e in enumerate(g.ekin_gev_per_n):
            expected = prim[k] * np.sum(vol * m.source_shape)
            for lk in net.spallation_parents[name]:
                p = net.nuclides[lk.parent]
                ev = np.array([e])
                k_h = float(p.beta(e)) * rate * float(lk.sigma_h(ev)[0])
                k_he = float(p.beta(e)) * rate * float(lk.sigma_he(ev)[0])
                n_p = res[lk.parent].density[k]
                expected += np.sum(vol * (k_h * m.gas.h_total + k_he * m.gas.he) * n_p)
            for parent in net.decay_parents[name]:
                lam = float(net.decay_rate_per_myr(parent, e))
                expected += np.sum(vol * lam * res[parent].density[k])
            if expected > 0:
                assert abs(r.injected[k] / expected - 1) < 1e-10, (name, k)
                checked += 1
    assert checked > 100
    # secondaries exist: boron is made only by spallation here, and lots of it
    assert res["11B"].injected.sum() > 0 and m.abundances["11B"] == 0.0
    # 10Be decays into 10B: the decay link is part of the budget above
    assert "10Be" in net.decay_parents["10B"]

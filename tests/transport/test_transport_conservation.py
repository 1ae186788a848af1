"""Particle conservation: injected = escaped + destroyed (+ carried below the grid by losses)."""

import numpy as np
from conftest import small_config

import escapade
from escapade.model import Model
from escapade.transport.solver import SCHEMES, march


def test_per_energy_budget_without_energy_losses():
    cfg = small_config(losses={"enabled": False}, diffusion={"tau": 0.85})
    ds = escapade.solve(cfg)
    inj = ds.particles_injected.values
    out = ds.particles_escaped.values + ds.particles_destroyed.values
    assert np.all(ds.particles_destroyed.values > 0)  # collisions do happen
    np.testing.assert_allclose(out, inj, rtol=1e-6)


def test_global_budget_with_energy_losses():
    """Summed over energy with the scheme's own weights, the loss flux telescopes.

    For every energy k: alpha G_k - beta1 G_{k+1} - beta2 G_{k+2} = h E_k (Q - escape - destroyed)
    per unit volume, so sum_k h E_k (inj - esc - des) equals the net energy-loss flux through
    the bottom of the grid, computed independently from the density.
    """
    cfg = small_config(diffusion={"tau": 0.5})
    m = Model.from_config(cfg)
    nuc = m.species[-1]
    res = march(m.grid, m.problem(nuc), "bdf2")
    g = m.grid
    h, e, ne = g.dlnekin, g.ekin_gev_per_n, g.n_ekin
    gflux = np.array(
        [np.sum(g.volume_kpc3 * m.loss_rate(nuc, k) * res.density[k]) for k in range(ne)]
    )
    lhs = np.sum(h * e * (res.injected - res.escaped - res.destroyed))
    bottom = 0.0
    for k in range(ne):
        a, b1, b2 = SCHEMES["bdf2"] if k <= ne - 3 else SCHEMES["upwind"]
        gk1 = gflux[k + 1] if k + 1 < ne else 0.0
        gk2 = gflux[k + 2] if k + 2 < ne else 0.0
        bottom += a * gflux[k] - b1 * gk1 - b2 * gk2
    assert bottom > 0
    np.testing.assert_allclose(lhs, bottom, rtol=1e-6)
    # and energy losses matter here: the loss flux is a visible part of the budget
    assert bottom / np.sum(h * e * res.injected) > 1e-3

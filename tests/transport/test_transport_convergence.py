"""Second-order convergence of the finite-volume operator for a spatially varying D."""

import numpy as np

import escapade
from escapade.model import Model
from escapade.transport.solver import march


def _solve(nr, nz):
    cfg = escapade.validate_config(
        {
            "grid": {
                "nr": nr,
                "nz": nz,
                "n_ekin": 4,
                "ekin_min_gev_per_n": 10.0,
                "ekin_max_gev_per_n": 100.0,
            },
            # smooth, strongly varying D: Yusifov-Kucuk (no zero on the axis), tau = 0.85,
            # exp(|z| / 4 kpc) growth, no parallel branch
            "diffusion": {"model": "source_correlated", "tau": 0.85, "parallel_ratio": 0.0},
            "source": {
                "radial": "yusifov_kucuk",
                "vertical": "exponential",
                "vertical_scale_kpc": 0.2,
            },
            "gas": {"enabled": False},
            "species": {"propagate": ["1H"], "abundances": {"1H": 1.0}},
        }
    )
    m = Model.from_config(cfg)
    return m.grid, march(m.grid, m.problem(m.species[0])).density[1]


def test_second_order_under_refinement():
    sols = [_solve(21 * 2**i - (2**i - 1), 41 * 2**i - (2**i - 1)) for i in range(4)]
    # common nodes of all grids: every 2^i-th node of grid i
    fields = [n[:: 2**i, :: 2**i] for i, (_, n) in enumerate(sols)]
    g0 = sols[0][0]
    sel = (g0.r_kpc[:, None] < 16.0) & (np.abs(g0.z_kpc)[None, :] < 3.0)
    d1 = np.abs(fields[0] - fields[1])[sel].max()
    d2 = np.abs(fields[1] - fields[2])[sel].max()
    d3 = np.abs(fields[2] - fields[3])[sel].max()
    p1, p2 = np.log2(d1 / d2), np.log2(d2 / d3)
    assert 1.75 < p2 < 2.3, (p1, p2)
    # the value at the Sun converges at the same order
    i_sun = [int(round(8.5 / g.dr_kpc)) for g, _ in sols]
    v = [n[i, g.nz // 2] for (g, n), i in zip(sols, i_sun, strict=True)]
    q = np.log2(abs(v[1] - v[2]) / abs(v[2] - v[3]))
    assert 1.7 < q < 2.4, q

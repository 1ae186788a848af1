"""D_perp and D_par of the 3D engine (escapade.transport3d.coefficients) and the memory
estimate of a 3D run (escapade.transport3d.memory)."""

from __future__ import annotations

import numpy as np
import pytest

from escapade.config import validate_config
from escapade.galaxy.sources import Lorimer
from escapade.resources import ResourceLimitError
from escapade.transport.diffusion import build_diffusion
from escapade.transport3d.coefficients import diffusion_fields, source_turbulence_q
from escapade.transport3d.memory import check_memory_3d, estimate_bytes_3d, n_unknowns_3d


def mesh(nxy=41, nz=11, r_max=20.0, h=4.0):
    x = np.linspace(-r_max, r_max, nxy)
    z = np.linspace(-h, h, nz)
    return np.meshgrid(x, x, z, indexing="ij")


def config(**sections):
    data = {"transport": {"geometry": "3d"}}
    for name, keys in sections.items():
        data.setdefault(name, {}).update(keys)
    return validate_config(data)


@pytest.mark.parametrize("model", ["source_correlated", "uniform"])
@pytest.mark.parametrize("rigidity", [1.0, 3.0, 1e4])
def test_axisymmetric_d_perp_is_the_2d_engines(model, rigidity):
    # parallel_ratio = 0: the 2D coefficient is D_perp itself
    cfg = config(diffusion={"model": model, "parallel_ratio": 0.0, "tau": 0.85})
    x, y, z = mesh()
    beta = 0.9
    d_perp, d_par = diffusion_fields(cfg, x, y, z, rigidity, beta)
    two_d = build_diffusion(cfg, Lorimer(sun_r_kpc=8.5)).coefficient(
        np.hypot(x, y), z, rigidity, beta
    )
    assert np.allclose(d_perp, two_d, rtol=1e-12, atol=0.0)
    assert np.array_equal(d_par, d_perp)  # isotropic tensor


def test_axisymmetric_d_perp_equals_the_2d_perpendicular_branch_with_a_parallel_ratio():
    cfg = config(diffusion={"parallel_ratio": 100.0, "tau": 0.85, "q_smoothing_kpc": 2.0})
    x, y, z = mesh()
    d_perp, _ = diffusion_fields(cfg, x, y, z, 30.0, 1.0)
    model = build_diffusion(cfg, Lorimer(sun_r_kpc=8.5))
    expected = model.perpendicular(np.hypot(x, y), 30.0) * np.exp(np.abs(z) / 4.0)
    assert np.allclose(d_perp, expected, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("arms", ["none", "faucher_giguere_kaspi2006"])
@pytest.mark.parametrize("ratio", [1.0, 30.0, 1000.0])
def test_ratio_at_the_sun_at_the_reference_rigidity_is_parallel_ratio(arms, ratio):
    cfg = config(
        diffusion={"parallel_ratio": ratio, "tau": 0.85, "reference_rigidity_gv": 3.0},
        source={"arms": arms, "arm_fraction": 0.5},
    )
    x, y, z = mesh(nxy=81, nz=9)  # the Sun at x = 8.5 kpc is a node
    i = int(np.argmin(np.abs(x[:, 0, 0] - 8.5)))
    j, k = x.shape[1] // 2, x.shape[2] // 2
    assert x[i, j, k] == pytest.approx(8.5) and y[i, j, k] == 0.0 and z[i, j, k] == 0.0
    d_perp, d_par = diffusion_fields(cfg, x, y, z, 3.0, 1.0)
    assert d_par[i, j, k] / d_perp[i, j, k] == pytest.approx(ratio, rel=1e-12)
    assert d_perp[i, j, k] == pytest.approx(cfg.diffusion.d0_cm2_s, rel=1e-12)


def test_sun_between_nodes_is_interpolated():
    cfg = config(source={"arms": "faucher_giguere_kaspi2006", "arm_fraction": 0.5})
    x, y, _ = mesh(nxy=41)  # dx = 1 kpc: no node at 8.5
    q = source_turbulence_q(cfg, x, y)
    i = int(np.argmin(np.abs(x[:, 0, 0] - 8.5)))
    j = x.shape[1] // 2
    # bracketing nodes on either side of the Sun straddle 1 (radial profile x smoothed arms)
    assert q.shape == (41, 41, 1)
    assert np.all(q >= 0.0) and 0.2 < q[i, j, 0] < 5.0


def test_arms_raise_d_perp_and_lower_d_par_where_sources_are():
    cfg = config(
        diffusion={"parallel_ratio": 100.0, "tau": 0.85, "q_smoothing_kpc": 0.5},
        source={"arms": "faucher_giguere_kaspi2006", "arm_fraction": 0.5},
    )
    x, y, z = mesh(nxy=81, nz=5)
    q3 = source_turbulence_q(cfg, x, y)
    d_perp, d_par = diffusion_fields(cfg, x, y, z, 3.0, 1.0, q=q3)
    assert np.array_equal(d_perp, diffusion_fields(cfg, x, y, z, 3.0, 1.0)[0])
    q = q3[..., 0]
    plane = d_perp[:, :, 2]
    ring = np.abs(np.hypot(x[:, :, 0], y[:, :, 0]) - 8.5) < 0.5
    hi, lo = ring & (q > np.median(q[ring])), ring & (q < np.median(q[ring]))
    assert plane[hi].mean() > plane[lo].mean()
    assert d_par[:, :, 2][hi].mean() < d_par[:, :, 2][lo].mean()
    assert np.all(d_par >= d_perp)  # parallel_floor = 'd_perp'


def test_parallel_floor_none_keeps_the_literal_power_laws():
    cfg = config(diffusion={"parallel_ratio": 1.0, "parallel_floor": "none", "tau": 0.0})
    x, y, z = mesh(nxy=21, nz=5)
    d_perp, d_par = diffusion_fields(cfg, x, y, z, 1e4, 1.0)  # slopes 1/3 < 0.6: D_par < D_perp
    assert np.allclose(d_par / d_perp, (1e4 / 3.0) ** (1.0 / 3.0 - 0.6), rtol=1e-12)
    floored = config(diffusion={"parallel_ratio": 1.0, "tau": 0.0})
    assert np.array_equal(diffusion_fields(floored, x, y, z, 1e4, 1.0)[1], d_perp)


def test_bad_grid_arrays_are_refused():
    cfg = config()
    x, y, z = mesh(nxy=9, nz=5)
    with pytest.raises(ValueError, match="one shape"):
        diffusion_fields(cfg, x[..., 0], y[..., 0], z[..., 0], 3.0, 1.0)


def test_memory_estimate_and_check():
    cfg = config(grid={"nxy": 101, "nz": 41, "n_ekin": 32}, species={"propagate": ["1H", "4He"]})
    n = n_unknowns_3d(cfg)
    # inside the cylinder: ~ pi/4 of the square, interior in z
    assert n == pytest.approx(np.pi / 4 * 101**2 * 39, rel=0.03)
    need = estimate_bytes_3d(cfg)
    densities = 3 * 2 * 32 * 101 * 101 * 41 * 8
    assert densities < need < 4 * densities
    assert check_memory_3d(cfg) == need
    small = config(grid={"nxy": 201, "nz": 81, "n_ekin": 32}, solver={"memory_limit_gb": 1.0})
    with pytest.raises(ResourceLimitError) as err:
        check_memory_3d(small)
    msg = str(err.value)
    assert "solver.memory_limit_gb = 1.0" in msg and "GB" in msg and "\n" not in msg
    extra = estimate_bytes_3d(small, n_species=20) - estimate_bytes_3d(small, n_species=2)
    assert extra == pytest.approx(18 * 3 * 32 * 201 * 201 * 81 * 8, rel=1e-12)  # the densities
    # a second worker process adds one linear system (27 non-zeros of 12 bytes, x 5) and
    # the assembly temporaries, not the shared densities
    per_worker = 5 * 27 * n_unknowns_3d(small) * 12 + 162 * 201 * 201 * 81 * 8
    two = estimate_bytes_3d(small, workers=2) - estimate_bytes_3d(small)
    assert two == pytest.approx(per_worker, rel=1e-12)

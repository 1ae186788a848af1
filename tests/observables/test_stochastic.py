"""Stochastic nearby sources (issue 18): the burst Green's function against closed forms,
the image series at the halo boundary, the ensemble mean against the smooth share of the
discrete region, the independence of the cut, and reproducibility with the seed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from escapade.constants import C_KPC_MYR
from escapade.galaxy.sources import Lorimer, SourceDistribution, Uniform, VerticalProfile
from escapade.observables.stochastic import burst_density, steady_kernel
from escapade.observables.stochastic.ensemble import LocalSmooth, Settings, make_setup
from escapade.observables.stochastic.population import SourceRegion, read_catalogue
from escapade.observables.stochastic.result import combine, directions, run_realisations

H = 4.0


def free(r, t, d):
    """The closed-form 3D point source (4 pi D t)^-3/2 exp(-r^2 / 4 D t), written out."""
    return np.exp(-(r**2) / (4 * d * t)) / (4 * np.pi * d * t) ** 1.5


def test_burst_matches_the_point_source_and_conserves_particles():
    d, t = 0.3, 0.7
    r = np.array([0.01, 0.3, 1.0, 2.5])
    g, grad = burst_density(r, 0.0, 0.0, 0.0, t, d, None)
    np.testing.assert_allclose(g, free(r, t, d), rtol=1e-12)
    # the volume integral is the injected number (one particle)
    total, _ = quad(lambda x: 4 * np.pi * x**2 * burst_density(x, 0, 0, 0, t, d, None)[0], 0, 50)
    assert total == pytest.approx(1.0, rel=1e-8)
    # the gradient points at the source; the dipole of one burst is 3 r / (2 c t)
    assert np.all(grad[:, 0] > 0) and np.allclose(grad[:, 1:], 0.0)
    dipole = 3 * d * np.linalg.norm(grad, axis=-1) / (C_KPC_MYR * g)
    np.testing.assert_allclose(dipole, 3 * r / (2 * C_KPC_MYR * t), rtol=1e-12)
    assert burst_density(1.0, 0, 0, 0, -0.1, d, H)[0] == 0.0  # not yet released


def test_image_series_solves_the_diffusion_equation_and_vanishes_at_the_boundary():
    d, z0, t = 1.5, 0.3, 2.0  # sqrt(4 D t) = 3.5 kpc: the boundary matters
    g0 = burst_density(0.4, 0.2, 0.0, z0, t, d, None)[0]
    for z_obs in (H, -H):
        g_b = burst_density(0.4, 0.2, z_obs, z0, t, d, H, n_images=8)[0]
        assert abs(g_b) < 1e-12 * g0
    inside = burst_density(0.4, 0.2, 0.0, z0, t, d, H, n_images=8)[0]
    assert 0 < inside < g0
    # dG/dt = D laplacian G at an inside point, by finite differences
    x, y, z, h, dt = 0.4, 0.2, -1.1, 1e-3, 1e-4

    def g(x_, y_, z_, t_):
        return burst_density(x_, y_, z_, z0, t_, d, H, n_images=8)[0]

    lap = sum(
        (
            g(*(np.array([x, y, z]) + s * e), t)
            - 2 * g(x, y, z, t)
            + g(*(np.array([x, y, z]) - s * e), t)
        )
        / s**2
        for e, s in zip(np.eye(3), (h, h, h), strict=True)
    )
    dgdt = (g(x, y, z, t + dt) - g(x, y, z, t - dt)) / (2 * dt)
    assert dgdt == pytest.approx(d * lap, rel=1e-4)


def test_steady_kernel_is_the_time_integral_of_the_burst():
    d, duration = 0.8, 1.3
    offset = np.array([0.5, -0.2, 0.15])
    k, grad = steady_kernel(offset, d, duration, H, n_images=6)
    for comp in range(4):

        def f(t, comp=comp):
            g, dg = burst_density(offset[0], offset[1], 0.0, offset[2], t, d, H, n_images=6)
            return float(g) if comp == 0 else float(dg[..., comp - 1])

        want, _ = quad(f, 0.0, duration, limit=500, epsabs=0, epsrel=1e-12, points=(0.005, 0.05))
        got = k if comp == 0 else grad[comp - 1]
        assert got == pytest.approx(want, rel=1e-7)
    # without a boundary and for T -> infinity: the steady point source 1 / (4 pi D r)
    r = np.linalg.norm(offset)
    assert steady_kernel(offset, d, 1e15, None)[0] == pytest.approx(1 / (4 * np.pi * d * r))


# ------------------------------------------------------------------ the ensemble


def local(include_he: bool = False) -> LocalSmooth:
    """A hand-made smooth solution: uniform D per energy, unit injection, N = 2e-3."""
    e = np.array([1e2, 1e3, 1e4])
    d = np.array([[0.05, 0.2, 0.8]])
    names, a = ("1H",), np.array([1.0])
    if include_he:
        d, names, a = np.vstack([d, 0.7 * d]), ("1H", "4He"), np.array([1.0, 4.0])
    shape = d.shape
    return LocalSmooth(
        ekin_gev_per_n=e,
        species=names,
        mass_number=a,
        rigidity_gv=np.broadcast_to(e, shape).copy(),
        d_kpc2_myr=d,
        density=np.full(shape, 2e-3),
        gradient_r=np.full(shape, -0.01),
        injected=np.ones(shape),
        flux=np.broadcast_to(e**-2.7, shape).copy(),
    )


def region(distance_kpc: float, radial=Uniform) -> SourceRegion:
    sources = SourceDistribution(radial(sun_r_kpc=8.5), VerticalProfile("exponential", 0.2))
    return SourceRegion(sources, 8.5, 20.0, H, distance_kpc)


def settings(**kw) -> Settings:
    base = dict(
        rate_per_myr=1.9e4,
        max_age_myr=0.5,
        n_realisations=200,
        seed=3,
        include_smooth=True,
        random_population=True,
        escape_time_myr=0.0,
        escape_rigidity_gv=1e3,
        escape_slope=0.68,
        compton_getting=False,
        sun_velocity_kpc_myr=(0.0, 0.0, 0.0),
    )
    return Settings(**(base | kw))


def test_region_probability_and_sampling_follow_the_source_density():
    reg = region(1.0, Lorimer)
    # P by quadrature against a direct Monte Carlo of the ball
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, (400_000, 3))
    pts = pts[np.sum(pts**2, -1) < 1]
    mc = reg.density(pts).mean() * 4 / 3 * np.pi
    assert reg.probability() == pytest.approx(mc, rel=0.02)
    drawn = reg.draw_positions(np.random.default_rng(1), 20_000)
    assert np.all(np.linalg.norm(drawn, axis=-1) < 1.0)
    # Lorimer rises inwards at the Sun: more sources towards the Galactic centre (x > 0)
    assert np.mean(drawn[:, 0] > 0) > 0.5
    # exp(-|z|/0.2) times the ball's cross-section pi (1 - z^2)
    z = np.linspace(-1, 1, 20001)
    w = np.exp(-np.abs(z) / 0.2) * (1 - z**2)
    assert np.std(drawn[:, 2]) == pytest.approx(np.sqrt(np.sum(w * z**2) / np.sum(w)), rel=0.03)


def ensemble(setup):
    dens, grad = run_realisations(setup)
    return dens, grad


def test_ensemble_mean_is_the_smooth_share_of_the_region():
    setup = make_setup(local(), settings(n_realisations=3000), region(0.5, Lorimer))
    dens, grad = ensemble(setup)
    from escapade.observables.stochastic.ensemble import region_mean

    mean, mean_grad = region_mean(setup)
    mc, err = dens.mean(axis=0), dens.std(axis=0) / np.sqrt(len(dens))
    assert np.all(np.abs(mc - mean) < 4 * err + 0.03 * mean), (mc / mean, err / mean)
    # the gradient's ensemble mean: the x component (towards the centre) within its error
    gx, gx_err = grad[..., 0].mean(0), grad[..., 0].std(0) / np.sqrt(len(grad))
    assert np.all(np.abs(gx - mean_grad[..., 0]) < 4 * gx_err + 1e-12)


def test_the_ensemble_mean_does_not_depend_on_the_cut():
    means = []
    for dist, age in ((0.3, 0.3), (0.6, 0.8)):
        setup = make_setup(local(), settings(n_realisations=2000, max_age_myr=age), region(dist))
        total, ratio, _, _ = combine(setup, *ensemble(setup))
        r = ratio[:, 0, :]
        means.append((r.mean(0), r.std(0) / np.sqrt(len(r))))
    (m1, e1), (m2, e2) = means
    assert np.all(np.abs(m1 - 1) < 4 * e1 + 0.02) and np.all(np.abs(m2 - 1) < 4 * e2 + 0.02)
    assert np.all(np.abs(m1 - m2) < 4 * np.hypot(e1, e2) + 0.02)


def test_realisations_are_reproducible_and_independent_of_chunking():
    setup = make_setup(local(include_he=True), settings(n_realisations=40), region(0.5))
    a = run_realisations(setup)
    b = run_realisations(setup, chunk=7)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    other = make_setup(local(include_he=True), settings(n_realisations=40, seed=4), region(0.5))
    assert not np.array_equal(a[0], run_realisations(other)[0])


def test_one_catalogue_source_alone_points_at_itself(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("name,distance_kpc,age_kyr,l_deg,b_deg\ntest source,0.25,100,263.9,-3.3\n")
    cat = read_catalogue(path)
    s = settings(random_population=False, include_smooth=False, n_realisations=3, max_age_myr=1.0)
    setup = make_setup(local(), s, region(1.0), cat)
    total, ratio, vec, mean = combine(setup, *run_realisations(setup))
    ang = directions(vec)
    np.testing.assert_allclose(ang["l_deg"], 263.9, atol=1e-6)
    np.testing.assert_allclose(ang["b_deg"], -3.3, atol=0.05)  # images tilt it slightly
    amp = np.linalg.norm(vec, axis=-1)
    np.testing.assert_allclose(amp[:, 0], 3 * 0.25 / (2 * C_KPC_MYR * 0.1), rtol=1e-3)
    assert np.all(ratio[:, 0] > 0)
    # equatorial direction of the Galactic centre (l = b = 0): RA 266.4, Dec -28.9 deg
    gc = directions(np.array([1.0, 0.0, 0.0]))
    assert gc["ra_deg"] == pytest.approx(266.40, abs=0.01)
    assert gc["dec_deg"] == pytest.approx(-28.94, abs=0.01)


def test_compton_getting_adds_along_the_velocity():
    v = (0.0, 0.01, 0.0)  # kpc/Myr towards l = 90 deg
    base = make_setup(local(), settings(n_realisations=5), region(0.5))
    cg = make_setup(
        local(),
        settings(n_realisations=5, compton_getting=True, sun_velocity_kpc_myr=v),
        region(0.5),
    )
    d0 = combine(base, *run_realisations(base))[2]
    d1 = combine(cg, *run_realisations(cg))[2]
    np.testing.assert_allclose(d1[..., 1] - d0[..., 1], (2 + 2.7) * 0.01 / C_KPC_MYR, rtol=1e-6)


def test_realisations_on_dask_are_the_local_ones():
    distributed = pytest.importorskip("distributed")
    setup = make_setup(local(include_he=True), settings(n_realisations=24), region(0.5))
    here = run_realisations(setup)
    with distributed.Client(processes=False, n_workers=2, dashboard_address=":0") as client:
        there = run_realisations(setup, client=client, chunk=5)
    assert np.array_equal(here[0], there[0]) and np.array_equal(here[1], there[1])


def test_a_large_region_is_the_whole_smooth_solution_for_uniform_diffusion():
    """The region mean with the Green's function (images in z) over a region as large as the
    halo allows reproduces the finite-volume solver's density at the Sun: the burst
    normalisation q_tot / nu, the source density and the kernel agree with the smooth model."""
    import escapade
    from escapade.observables.stochastic.ensemble import region_mean
    from escapade.observables.stochastic.result import stochastic_setup

    cfg = escapade.validate_config(
        {
            "galaxy": {"halo_height_kpc": 2.0},
            "grid": {"nr": 161, "nz": 41, "n_ekin": 4, "ekin_min_gev_per_n": 100.0},
            "diffusion": {"model": "uniform", "z_scale_kpc": float("inf")},
            "gas": {"enabled": False},
            "source": {"radial": "uniform", "vertical_scale_kpc": 0.5},
            "species": {"propagate": ["1H"]},
            "stochastic": {"discrete_max_distance_kpc": 10.0, "discrete_max_age_kyr": 1e5},
        }
    )
    cfg = escapade.with_updates(cfg, {"grid.ekin_max_gev_per_n": 1e4})
    setup = stochastic_setup(escapade.Solution.compute(cfg))
    mean, _ = region_mean(setup)
    np.testing.assert_allclose(mean / setup.local.density, 1.0, atol=0.02)


def test_dipole_figure_draws_bands_and_the_smooth_line():
    import xarray as xr

    from escapade.plots.stochastic import stochastic_dipole_figure

    e = np.geomspace(1e2, 1e6, 5)
    amp = np.random.default_rng(0).lognormal(-6, 1, (50, 5))
    ds = xr.Dataset(
        {
            "stochastic_dipole_amplitude": (("realisation", "ekin_gev_per_n"), amp),
            "anisotropy_all_nuclei": (("ekin_gev_per_n",), np.full(5, 1e-3)),
        },
        coords={"ekin_gev_per_n": e},
    )
    fig = stochastic_dipole_figure({"test": ds})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # median, smooth; two bands
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.median(amp, axis=0))


def test_catalogue_replaces_the_random_sources_in_its_box(tmp_path):
    from escapade.observables.stochastic.ensemble import draw_sources

    path = tmp_path / "two.csv"
    path.write_text(
        "name,distance_kpc,age_kyr,l_deg,b_deg,distance_err_kpc,age_err_kyr\n"
        "near,0.2,100,10,0,0.02,10\nfar,0.4,300,200,5,,\n"
    )
    cat = read_catalogue(path)
    assert cat.name == ("near", "far") and cat.age_err_kyr.tolist() == [10.0, 0.0]
    setup = make_setup(local(), settings(max_age_myr=1.0), region(1.0), cat)
    rng = np.random.default_rng(2)
    for _ in range(20):
        offsets, ages = draw_sources(setup, rng)
        d = np.linalg.norm(offsets, axis=-1)
        random_part = slice(0, len(ages) - 2)  # the catalogue's two come last
        in_box = (d[random_part] <= 0.4) & (ages[random_part] <= 0.3)
        assert not in_box.any()
        assert d[-1] == pytest.approx(0.4) and ages[-1] == pytest.approx(0.3)  # no errors given
        assert 0.1 < d[-2] < 0.3 and d[-2] != 0.2  # drawn within its error


def test_spectra_figure_bands_are_the_ratio_quantiles_times_the_smooth_flux():
    import xarray as xr

    from escapade.plots.stochastic import stochastic_spectra_figure

    t = np.geomspace(1e3, 1e6, 4)
    flux = np.vstack([t**-2.7, 0.1 * t**-2.6])
    ratio = np.random.default_rng(1).lognormal(0, 0.1, (2, 30, 4))
    ds = xr.Dataset(
        {
            "flux_local": (("species", "ekin_gev_per_n"), flux),
            "stochastic_flux_ratio": (("species", "realisation", "ekin_gev_per_n"), ratio),
        },
        coords={"species": ["1H", "4He"], "ekin_gev_per_n": t},
    )
    data = {
        "points": ("1H", np.array([1e4, 1e5]), np.array([1e-8, 1e-11]), np.array([1e-9, 1e-12]))
    }
    ax = stochastic_spectra_figure(ds, data, index=2.6).axes[0]
    median_h = ax.lines[0].get_ydata()
    e_tot = t + 0.938272  # 1H: A = 1
    np.testing.assert_allclose(
        median_h, e_tot**2.6 * np.median(ratio[0], axis=0) * flux[0], rtol=1e-4
    )
    assert len(ax.collections) >= 4  # two bands per species (and the error bars)


# ------------------------------------------------------------------ 3D solutions, spiral arms


def arms_config(distance_kpc: float = 1.0, **grid):
    import escapade

    return escapade.validate_config(
        {
            "galaxy": {"r_max_kpc": 20.0, "halo_height_kpc": H},
            "grid": {"nz": 11, "nxy": 21, "n_ekin": 4, "ekin_min_gev_per_n": 100.0}
            | {"ekin_max_gev_per_n": 1e4}
            | grid,
            "species": {"propagate": ["1H"], "abundances": {"1H": 1.0}, "antiprotons": False},
            "transport": {"geometry": "3d"},
            "source": {"arms": "faucher_giguere_kaspi2006"},
            "stochastic": {"n_realisations": 20, "discrete_max_distance_kpc": distance_kpc},
        }
    )


def test_arms_draws_follow_the_arm_modulation():
    """With FGK06 arms the Sun lies between two arms: the sources of the 1 kpc ball sit near
    its rim, on the arms. The share of the draws where A > 1 is the quadrature's (within the
    binomial error), ~50 times the axisymmetric share; P is the finer quadrature's."""
    from escapade.galaxy.arms import arm_modulation

    cfg = arms_config()
    arms = SourceRegion.from_config(cfg)
    plain = SourceRegion.from_config(escapade_updates(cfg, {"source.arms": "none"}))
    assert arms.arms is not None and plain.arms is None

    def on_arm(offsets):
        return arm_modulation(cfg.source, 8.5 - offsets[:, 0], offsets[:, 1]) > 1.0

    nodes, w = arms.quadrature(64, 40, 128)
    p = w * arms.density(nodes)
    assert arms.probability() == pytest.approx(p.sum(), rel=1e-6)
    expected = np.sum(p * on_arm(nodes)) / p.sum()
    n = 20_000
    drawn = arms.draw_positions(np.random.default_rng(2), n)
    assert np.all(np.linalg.norm(drawn, axis=-1) < 1.0)
    share = on_arm(drawn).mean()
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    axisymmetric = on_arm(plain.draw_positions(np.random.default_rng(2), n)).mean()
    assert share > 10 * axisymmetric
    # the vertical profile is unchanged by the arms: <|z|> is the quadrature's
    z_mean = np.sum(p * np.abs(nodes[:, 2])) / p.sum()
    assert np.abs(drawn[:, 2]).mean() == pytest.approx(z_mean, rel=0.03)


def escapade_updates(cfg, updates):
    import escapade

    return escapade.with_updates(cfg, updates)


def test_ensemble_mean_with_arms_is_the_smooth_share_of_the_region():
    from escapade.observables.stochastic.ensemble import region_mean

    reg = SourceRegion.from_config(arms_config(1.5))
    setup = make_setup(local(), settings(n_realisations=3000), reg)
    dens, grad = ensemble(setup)
    mean, mean_grad = region_mean(setup)
    mc, err = dens.mean(axis=0), dens.std(axis=0) / np.sqrt(len(dens))
    assert np.all(np.abs(mc - mean) < 4 * err + 0.03 * mean), (mc / mean, err / mean)
    for c in range(3):
        g, g_err = grad[..., c].mean(0), grad[..., c].std(0) / np.sqrt(len(grad))
        assert np.all(np.abs(g - mean_grad[..., c]) < 4 * g_err + 1e-12)


@pytest.fixture(scope="module")
def arms_3d():
    import escapade

    return escapade.Solution.compute(arms_config())


def test_a_3d_solution_with_arms_gives_the_contract_variables(arms_3d):
    from escapade.constants import CM2_S_PER_KPC2_MYR
    from escapade.observables.stochastic import with_stochastic
    from escapade.observables.stochastic.result import stochastic_setup

    ds = with_stochastic(arms_3d).dataset
    amp, ratio = ds["stochastic_dipole_amplitude"], ds["stochastic_flux_ratio"]
    assert amp.dims == ("realisation", "ekin_gev_per_n") and amp.shape == (20, 4)
    assert ratio.dims == ("species", "realisation", "ekin_gev_per_n")
    assert np.all(np.isfinite(amp)) and np.all(ratio > 0)
    setup = stochastic_setup(arms_3d)
    assert setup.region.arms is not None
    # the bursts diffuse with D_perp at the Sun
    d = ds["diffusion_coefficient_sun_cm2_s"].values / CM2_S_PER_KPC2_MYR
    np.testing.assert_allclose(setup.local.d_kpc2_myr, d, rtol=1e-12)


def test_a_3d_solution_without_discrete_sources_keeps_its_dipole(arms_3d):
    """A discrete region too small to hold a source: the stochastic dipole is the 3D
    solution's own (full tensor), amplitude and direction (the frame's turn to heliocentric)."""
    from escapade.observables.stochastic import with_stochastic
    from escapade.solution import Solution

    cfg = escapade_updates(arms_3d.config, {"stochastic.discrete_max_distance_kpc": 1e-3})
    ds = with_stochastic(Solution(arms_3d.dataset, cfg)).dataset
    amp = ds["stochastic_dipole_amplitude"].values
    want = np.broadcast_to(ds["anisotropy_all_nuclei"].values, amp.shape)
    np.testing.assert_allclose(amp, want, rtol=1e-6)
    for key in ("l_deg", "b_deg"):
        got = ds[f"stochastic_dipole_{key}"].values
        want = np.broadcast_to(ds[f"dipole_{key}"].sel(species="1H").values, got.shape)
        np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(ds["stochastic_flux_ratio"].values, 1.0, rtol=1e-9)

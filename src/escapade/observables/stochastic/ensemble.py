"""Monte Carlo over realisations of the discrete sources: density, dipole and flux at the Sun.

For every species i and energy E, one realisation gives

    N_i = N_smooth,i - M_i + sum_k N_burst,i G(x_k, t_k - t_esc; D_i(E))          (1)

(``include_smooth = true``; M_i the smooth model's share of the discrete region,
:mod:`.population` eq. 2, the sum over the bursts drawn in the region, :mod:`.green` eq. 3)
or the sum alone (``include_smooth = false``). The gradients add the same way, the smooth
one being the radial gradient of the solution at the Sun (towards the Galactic centre where
the density falls outwards). On a 3D solution (``geometry = "3d"``) the smooth part of the
current is the solution's own dipole vector (the full tensor, ``dipole_vector``) times N,
and D is D_perp at the Sun: the bursts and M diffuse isotropically with D_perp
(docs/stochastic.md). The dipole of all nuclei at equal kinetic energy per nucleon is
the nucleon-weighted diffusive current over the nucleon density, as for the smooth model
(:func:`escapade.model.output.all_nucleon_anisotropy`):

    delta = sum_i a_i (3 D_i / c) grad N_i / sum_i a_i N_i,                         (2)

a vector whose direction is where the excess comes from (up the gradient). Optionally
the Compton-Getting dipole of the Sun's motion v relative to the cosmic-ray rest frame,

    delta_CG = (2 + gamma) v / c,                                                    (3)

gamma = -dln J / dln E the slope of the intensity (Compton & Getting 1935, Phys. Rev. 47,
817; Gleeson & Axford 1968, Astrophys. Space Sci. 2, 431), is added along v. The escape
time (Gabici, Aharonian & Casanova 2009, arXiv:0901.4549: particles of higher momentum
leave the remnant earlier, t_esc a decreasing power of p) delays each burst by

    t_esc(R) = escape_time_kyr (R / escape_rigidity_gv)^(-escape_slope).             (4)

Realisations are independent: realisation j draws from its own generator, spawned from
``seed`` by :class:`numpy.random.SeedSequence`, so any split into chunks (locally or on dask
workers) gives bit-identical results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import C_KPC_MYR, CM2_S_PER_KPC2_MYR, KPC_CM, MYR_S
from ...species import SpeciesError, nuclide
from .green import burst_density, image_count, steady_kernel
from .population import Catalogue, SourceRegion, heliocentric

KM_S_IN_KPC_MYR = 1.0e5 * MYR_S / KPC_CM
QUANTILES = (0.025, 0.16, 0.5, 0.84, 0.975)
"""Median, 68 % and 95 % bands."""


@dataclass(frozen=True)
class LocalSmooth:
    """What the stochastic step needs of the smooth solution, per (species, energy).

    ``density`` N at the Sun (1/(cm^3 GeV/n)), ``gradient_r`` dN/dR there (per kpc),
    ``d_kpc2_myr`` D at the Sun, ``injected`` the total injection rate
    (kpc^3/(cm^3 GeV/n Myr)), ``flux`` the local flux (for the spectral slope);
    ``mass_number`` 0 for what is not a nucleus. ``dipole``: the smooth dipole vector
    (species, energy, 3) in the heliocentric Galactic frame (towards l = 0, l = 90 deg,
    b = 90 deg) where the solution has one (3D); None: the smooth dipole is
    3 D grad N / (c N) with the radial gradient (2D).
    """

    ekin_gev_per_n: np.ndarray
    species: tuple[str, ...]
    mass_number: np.ndarray
    rigidity_gv: np.ndarray
    d_kpc2_myr: np.ndarray
    density: np.ndarray
    gradient_r: np.ndarray
    injected: np.ndarray
    flux: np.ndarray
    dipole: np.ndarray | None = None

    @classmethod
    def from_dataset(cls, ds, sun_r_kpc: float, abundances: dict) -> LocalSmooth:
        from scipy.interpolate import CubicSpline

        if "dipole_vector" in ds and "density_midplane" not in ds:
            return cls.from_dataset_3d(ds, sun_r_kpc, abundances)

        names = tuple(str(s) for s in ds["species"].values)
        e = np.asarray(ds["ekin_gev_per_n"].values, dtype=float)
        a = np.zeros(len(names))
        rig = np.full((len(names), e.size), np.nan)
        for k, n in enumerate(names):
            try:
                nuc = nuclide(n)
            except SpeciesError:
                continue
            if n == "pbar":  # not a nucleus of the sources (as in all_nucleon_anisotropy)
                continue
            a[k] = nuc.a
            rig[k] = nuc.rigidity_gv(e)
        spline = CubicSpline(ds["r_kpc"].values, ds["density_midplane"].values, axis=-1)
        dens = spline(sun_r_kpc)
        d = ds["diffusion_coefficient_sun_cm2_s"].values / CM2_S_PER_KPC2_MYR
        sign = np.sign(spline.derivative()(sun_r_kpc))
        grad = sign * ds["anisotropy"].values * C_KPC_MYR * dens / (3.0 * d)
        primary = np.array([a[k] > 0 and abundances.get(n, 0.0) > 0 for k, n in enumerate(names)])
        injected = np.where(primary[:, None], ds["particles_injected"].values, 0.0)
        return cls(e, names, a, rig, d, dens, grad, injected, ds["flux_local"].values)

    @classmethod
    def from_dataset_3d(cls, ds, sun_r_kpc: float, abundances: dict) -> LocalSmooth:
        """The same from a 3D solution (:mod:`escapade.model.output3d`): N at the Sun from
        ``flux_local`` (J = v N / 4 pi, the density the 3D dipole was made with; the
        ``density_plane`` at the Sun for what is not a nuclide), D = D_perp at the Sun,
        dN/dR from ``density_plane`` and the dipole vector turned into the heliocentric frame
        (Galactocentric (x, y, z) -> (-x, y, z))."""
        from scipy.interpolate import RegularGridInterpolator

        from ...model.particles import local_flux_from_density

        names = tuple(str(s) for s in ds["species"].values)
        e = np.asarray(ds["ekin_gev_per_n"].values, dtype=float)
        a = np.zeros(len(names))
        rig = np.full((len(names), e.size), np.nan)
        flux = ds["flux_local"].transpose("species", "ekin_gev_per_n").values
        plane = ds["density_plane"].transpose("species", "ekin_gev_per_n", "x_kpc", "y_kpc")
        x, y = ds["x_kpc"].values, ds["y_kpc"].values
        sun = np.array([[sun_r_kpc, 0.0]])

        def at_sun(field):  # (species, energy, x, y) -> (species, energy), linear
            f = np.moveaxis(field, (0, 1), (2, 3))
            return RegularGridInterpolator((x, y), f)(sun)[0]

        dens = at_sun(plane.values)
        grad = at_sun(np.gradient(plane.values, x, axis=2))
        for k, n in enumerate(names):
            try:
                nuc = nuclide(n)
            except SpeciesError:
                continue
            dens[k] = flux[k] / local_flux_from_density(nuc, e, np.ones_like(e))
            if n == "pbar":
                continue
            a[k] = nuc.a
            rig[k] = nuc.rigidity_gv(e)
        d = ds["diffusion_coefficient_sun_cm2_s"].values / CM2_S_PER_KPC2_MYR
        vec = ds["dipole_vector"].transpose("species", "ekin_gev_per_n", "component")
        vec = vec.sel(component=["x", "y", "z"]).values
        helio = np.stack([-vec[..., 0], vec[..., 1], vec[..., 2]], axis=-1)
        primary = np.array([a[k] > 0 and abundances.get(n, 0.0) > 0 for k, n in enumerate(names)])
        injected = np.where(primary[:, None], ds["particles_injected"].values, 0.0)
        return cls(e, names, a, rig, d, dens, grad, injected, flux, helio)


@dataclass(frozen=True)
class Settings:
    """The ``[stochastic]`` numbers in internal units (Myr, kpc)."""

    rate_per_myr: float
    max_age_myr: float
    n_realisations: int
    seed: int
    include_smooth: bool
    random_population: bool
    escape_time_myr: float
    escape_rigidity_gv: float
    escape_slope: float
    compton_getting: bool
    sun_velocity_kpc_myr: tuple[float, float, float]

    @classmethod
    def from_config(cls, st) -> Settings:
        v = (st.sun_velocity_u_km_s, st.sun_velocity_v_km_s, st.sun_velocity_w_km_s)
        return cls(
            rate_per_myr=st.supernova_rate_per_century * 1e4,
            max_age_myr=st.discrete_max_age_kyr * 1e-3,
            n_realisations=st.n_realisations,
            seed=st.seed,
            include_smooth=st.include_smooth,
            random_population=st.random_population,
            escape_time_myr=st.escape_time_kyr * 1e-3,
            escape_rigidity_gv=st.escape_rigidity_gv,
            escape_slope=st.escape_slope,
            compton_getting=st.compton_getting,
            sun_velocity_kpc_myr=tuple(x * KM_S_IN_KPC_MYR for x in v),
        )


@dataclass(frozen=True)
class Setup:
    """Everything a worker needs to compute realisations (picklable)."""

    local: LocalSmooth
    settings: Settings
    region: SourceRegion
    catalogue: Catalogue | None
    probability: float
    n_images: np.ndarray
    """images on each side per (species, energy), for the longest time max_age_myr"""

    @property
    def escape_myr(self) -> np.ndarray:
        """t_esc (species, energy) of eq. 4; 0 without an escape time (or for non-nuclei)."""
        s = self.settings
        if s.escape_time_myr == 0.0:
            return np.zeros_like(self.local.d_kpc2_myr)
        x = np.nan_to_num(self.local.rigidity_gv, nan=1.0) / s.escape_rigidity_gv
        return s.escape_time_myr * x ** (-s.escape_slope)

    @property
    def burst_number(self) -> np.ndarray:
        """N_burst = q_tot / nu per species and energy (population eq. 1)."""
        return self.local.injected / self.settings.rate_per_myr


def make_setup(local: LocalSmooth, settings: Settings, region: SourceRegion, catalogue=None):
    """The :class:`Setup` of a run: the ball's probability and the number of images."""
    d_t = np.nan_to_num(local.d_kpc2_myr) * settings.max_age_myr
    return Setup(
        local,
        settings,
        region,
        catalogue,
        region.probability(),
        image_count(d_t, region.halo_height_kpc),
    )


def draw_sources(setup: Setup, rng: np.random.Generator):
    """(offsets (n, 3), ages (n,)) of one realisation's discrete sources."""
    s, region, cat = setup.settings, setup.region, setup.catalogue
    offsets, ages = np.empty((0, 3)), np.empty(0)
    if s.random_population:
        n = rng.poisson(s.rate_per_myr * s.max_age_myr * setup.probability)
        offsets = region.draw_positions(rng, n)
        ages = rng.uniform(0.0, s.max_age_myr, n)
        if cat is not None and len(cat):
            box = (np.linalg.norm(offsets, axis=-1) <= cat.distance_kpc.max()) & (
                ages <= cat.age_kyr.max() * 1e-3
            )
            offsets, ages = offsets[~box], ages[~box]
    if cat is not None and len(cat):
        d = np.abs(cat.distance_kpc + cat.distance_err_kpc * rng.standard_normal(len(cat)))
        age = np.abs(cat.age_kyr + cat.age_err_kyr * rng.standard_normal(len(cat))) * 1e-3
        keep = (d < region.distance_kpc) & (age < s.max_age_myr)
        offsets = np.concatenate([offsets, heliocentric(d, cat.l_deg, cat.b_deg)[keep]])
        ages = np.concatenate([ages, age[keep]])
    return offsets, ages


def image_blocks(n_images: np.ndarray, growth: float = 1.5) -> list[tuple[slice, int]]:
    """Contiguous energy blocks whose image counts lie within ``growth`` of each other, with
    the count each block needs (its largest): few images at low energy, many only where D is
    large."""
    blocks, start = [], 0
    for k in range(1, len(n_images) + 1):
        if k == len(n_images) or n_images[k] > growth * max(n_images[start], 1):
            blocks.append((slice(start, k), int(n_images[start:k].max())))
            start = k
    return blocks


def discrete_at_sun(setup: Setup, offsets: np.ndarray, ages: np.ndarray):
    """Sum over the bursts of density (species, energy) and gradient (species, energy, 3)."""
    loc = setup.local
    ns, ne = loc.d_kpc2_myr.shape
    dens, grad = np.zeros((ns, ne)), np.zeros((ns, ne, 3))
    if len(ages) == 0:
        return dens, grad
    esc = setup.escape_myr
    n_burst = setup.burst_number
    for i in range(ns):
        if not np.any(n_burst[i] > 0):
            continue
        for block, n_img in image_blocks(setup.n_images[i]):
            g, dg = burst_density(
                offsets[:, 0:1],
                offsets[:, 1:2],
                0.0,
                offsets[:, 2:3],
                ages[:, None] - esc[i][None, block],
                loc.d_kpc2_myr[i][None, block],
                setup.region.halo_height_kpc,
                n_img,
            )
            dens[i, block] = n_burst[i, block] * g.sum(axis=0)
            grad[i, block] = n_burst[i, block][:, None] * dg.sum(axis=0)
    return dens, grad


def region_mean(setup: Setup):
    """M (species, energy) and its gradient (species, energy, 3): population eq. 2."""
    loc, region = setup.local, setup.region
    nodes, w = region.quadrature()
    wp = w * region.density(nodes)
    nodes, wp = nodes[wp > 0], wp[wp > 0]
    ns, ne = loc.d_kpc2_myr.shape
    mean, grad = np.zeros((ns, ne)), np.zeros((ns, ne, 3))
    duration = setup.settings.max_age_myr - setup.escape_myr
    for i in range(ns):
        if not np.any(loc.injected[i] > 0):
            continue
        for k in range(ne):
            kern, dk = steady_kernel(
                nodes,
                loc.d_kpc2_myr[i, k],
                duration[i, k],
                region.halo_height_kpc,
                int(setup.n_images[i, k]),
            )
            mean[i, k] = loc.injected[i, k] * np.sum(wp * kern)
            grad[i, k] = loc.injected[i, k] * np.sum(wp[:, None] * dk, axis=0)
    return mean, grad


def realise_chunk(setup: Setup, seeds) -> tuple[np.ndarray, np.ndarray]:
    """Discrete density (k, species, energy) and gradient (k, species, energy, 3) of the
    realisations with the given :class:`numpy.random.SeedSequence` children."""
    out = [discrete_at_sun(setup, *draw_sources(setup, np.random.default_rng(s))) for s in seeds]
    return np.stack([o[0] for o in out]), np.stack([o[1] for o in out])

"""Where and when the discrete sources are: the random population, the catalogue, the region.

The smooth model's sources have the density Q(x) = q_tot(E) p(x) with p(R, z) = Q_R(R)
Q_z(z) / V, the radial profile of :mod:`escapade.galaxy.sources` times the vertical one,
normalised over the propagation volume (R < R_max, |z| < H), and q_tot(E) the total
injection rate (the smooth solution's ``particles_injected``). Read as supernovae at the
rate nu (``supernova_rate_per_century``), each remnant releases

    N_burst(E) = q_tot(E) / nu                                                   (1)

particles per unit energy, so that the rate-weighted mean of the bursts is the smooth source
exactly. The *discrete region* is the set of sources closer to the Sun than d_cut
(``discrete_max_distance_kpc``) and younger than T_cut (``discrete_max_age_kyr``): its bursts
are drawn as a Poisson process of mean nu T_cut P, with P = int_ball p dV, at positions drawn
from p inside the ball and ages uniform in [0, T_cut]. Its ensemble mean is the integral of
the smooth source against the time-integrated Green's function
(:func:`~escapade.observables.stochastic.green.steady_kernel`),

    M(E) = q_tot(E) int_ball p(x) K(x; D(E), T_cut - t_esc(E)) dV,                  (2)

computed here by Gauss-Legendre quadrature in spherical coordinates around the Sun; the
smooth solution minus M plus the drawn bursts is then the total with nothing counted twice.

With spiral arms (``[source] arms``, the 3D engine) p carries the arm modulation of
:func:`escapade.galaxy.arms.arm_modulation`, p(x) = Q_R(R) Q_z(z) A(R, phi) / V, the density
the 3D engine injects (:func:`~escapade.galaxy.arms.source_density_3d`). The azimuthal average
of A is 1 at every R, so V is the axisymmetric one; the bursts are drawn from, and M and P
integrate, the same p with the arms.

A catalogue is a CSV with the columns ``name, distance_kpc, age_kyr, l_deg, b_deg`` and the
optional ``distance_err_kpc, age_err_kyr`` (Gaussian 1-sigma uncertainties, drawn per
realisation, truncated at zero). Its sources replace the random ones in their own box: with
a random population too, random bursts closer than the farthest catalogue source and younger
than the oldest are dropped (the catalogue is taken as complete there). A bundled catalogue
is named instead of a path (:data:`BUNDLED_CATALOGUES`): ``nearby_snr``, the known nearby
remnants, each number read from the source its row names (``escapade/data/stochastic``).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from ...config import ConfigError
from ...galaxy.arms import arm_modulation
from ...galaxy.sources import RADIAL_PROFILES, SourceDistribution, VerticalProfile

CATALOGUE_COLUMNS = ("name", "distance_kpc", "age_kyr", "l_deg", "b_deg")
"""The columns every catalogue has (the issue's contract)."""
OPTIONAL_COLUMNS = ("distance_err_kpc", "age_err_kyr")
BUNDLED_CATALOGUES = ("nearby_snr",)
"""Catalogues shipped in ``escapade/data/stochastic``, named by ``[stochastic] catalogue``."""


@dataclass(frozen=True)
class Catalogue:
    """Known sources: heliocentric distance and age with their uncertainties, l and b."""

    name: tuple[str, ...]
    distance_kpc: np.ndarray
    age_kyr: np.ndarray
    l_deg: np.ndarray
    b_deg: np.ndarray
    distance_err_kpc: np.ndarray
    age_err_kyr: np.ndarray

    def __len__(self) -> int:
        return len(self.name)


def _number(row: dict, col: str, line: int, key: str, path: str) -> float:
    text = (row.get(col) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(
            f"{key} = {path!r}: line {line}, {col} = {text!r} is not a number"
        ) from None
    if not math.isfinite(value):
        raise ConfigError(f"{key} = {path!r}: line {line}, {col} = {text} is not finite")
    return value


def catalogue_file(value: str | Path, key: str = "stochastic.catalogue") -> Path:
    """The file of a catalogue: an existing path as given, else a bundled name's CSV."""
    path = Path(value)
    if path.exists():
        return path
    if str(value) in BUNDLED_CATALOGUES:
        return Path(str(resources.files("escapade.data.stochastic").joinpath(f"{value}.csv")))
    raise ConfigError(
        f"{key} = {str(value)!r} cannot be read: no such file, and not a bundled catalogue "
        f"(bundled: {', '.join(BUNDLED_CATALOGUES)})"
    )


def read_catalogue(path: str | Path, key: str = "stochastic.catalogue") -> Catalogue:
    """Read and check a catalogue CSV, a path or a bundled name (:func:`catalogue_file`);
    every problem is a one-line :class:`ConfigError`."""
    p = str(path)
    path = catalogue_file(path, key)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.lstrip().startswith("#")))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key} = {p!r} cannot be read: {exc}") from None
    if not rows:
        raise ConfigError(f"{key} = {p!r} is empty; it needs {', '.join(CATALOGUE_COLUMNS)}")
    missing = [c for c in CATALOGUE_COLUMNS if c not in header]
    if missing:
        raise ConfigError(
            f"{key} = {p!r} lacks the column(s) {', '.join(missing)}; "
            f"needed: {', '.join(CATALOGUE_COLUMNS)}"
        )
    cols: dict[str, list[float]] = {c: [] for c in CATALOGUE_COLUMNS[1:] + OPTIONAL_COLUMNS}
    for i, row in enumerate(rows, start=2):
        for c in CATALOGUE_COLUMNS[1:]:
            cols[c].append(_number(row, c, i, key, p))
        for c in OPTIONAL_COLUMNS:
            cols[c].append(_number(row, c, i, key, p) if (row.get(c) or "").strip() else 0.0)
        for c in ("distance_kpc", "age_kyr") + OPTIONAL_COLUMNS:
            if cols[c][-1] < 0 or (c == "distance_kpc" and cols[c][-1] == 0):
                raise ConfigError(
                    f"{key} = {p!r}: line {i}, {c} = {cols[c][-1]} must be "
                    f"{'positive' if c == 'distance_kpc' else '>= 0'}"
                )
        if not -90.0 <= cols["b_deg"][-1] <= 90.0:
            raise ConfigError(
                f"{key} = {p!r}: line {i}, b_deg = {cols['b_deg'][-1]} not in [-90, 90]"
            )
    arrays = {c: np.array(v) for c, v in cols.items()}
    return Catalogue(name=tuple(r["name"].strip() for r in rows), **arrays)


def heliocentric(distance_kpc, l_deg, b_deg) -> np.ndarray:
    """(..., 3) offsets source - Sun: towards l = 0 (the Galactic centre), l = 90, b = 90 deg."""
    lon, lat = np.radians(l_deg), np.radians(b_deg)
    d = np.asarray(distance_kpc, dtype=float)
    return np.stack(
        [d * np.cos(lat) * np.cos(lon), d * np.cos(lat) * np.sin(lon), d * np.sin(lat)], -1
    )


@dataclass(frozen=True)
class SourceRegion:
    """The source density p(x) around the Sun and the discrete region's ball.

    ``arms``: a ``[source]`` section whose ``arms`` is not ``"none"`` (p then carries the arm
    modulation), or None (axisymmetric).
    """

    sources: SourceDistribution
    sun_r_kpc: float
    r_max_kpc: float
    halo_height_kpc: float
    distance_kpc: float
    arms: object | None = None

    @classmethod
    def from_config(cls, cfg) -> SourceRegion:
        profile = RADIAL_PROFILES[cfg.source.radial](
            sun_r_kpc=cfg.galaxy.sun_r_kpc, r_cut_kpc=cfg.source.r_cut_kpc
        )
        vertical = VerticalProfile(cfg.source.vertical, cfg.source.vertical_scale_kpc)
        return cls(
            SourceDistribution(profile, vertical),
            cfg.galaxy.sun_r_kpc,
            cfg.galaxy.r_max_kpc,
            cfg.galaxy.halo_height_kpc,
            cfg.stochastic.discrete_max_distance_kpc,
            cfg.source if cfg.source.arms != "none" else None,
        )

    @cached_property
    def volume_kpc3(self) -> float:
        """V = int Q_R Q_z dV over R < R_max, |z| < H (Gauss-Legendre in R, exact in z)."""
        x, w = np.polynomial.legendre.leggauss(400)
        r = 0.5 * self.r_max_kpc * (x + 1.0)
        radial = 0.5 * self.r_max_kpc * np.sum(w * 2.0 * np.pi * r * self.sources.radial.shape(r))
        v = self.sources.vertical
        h, hz = v.scale_kpc, self.halo_height_kpc
        if v.kind == "exponential":
            vertical = 2.0 * h * (1.0 - math.exp(-hz / h))
        else:
            vertical = 2.0 * min(h, hz)
        return float(radial * vertical)

    def density(self, offsets) -> np.ndarray:
        """p(x) (1/kpc^3) at Sun-centred offsets (..., 3); 0 outside the volume.

        The offsets are heliocentric (towards l = 0, l = 90 deg, b = 90 deg): the point is at
        x = R_sun - offset_x, y = offset_y in the Galactocentric frame of the arms.
        """
        x = self.sun_r_kpc - offsets[..., 0]
        r = np.hypot(x, offsets[..., 1])
        z = offsets[..., 2]
        inside = (r < self.r_max_kpc) & (np.abs(z) < self.halo_height_kpc)
        q = self.sources.density(r, z) / self.volume_kpc3
        if self.arms is not None:
            q = q * arm_modulation(self.arms, x, offsets[..., 1])
        return np.where(inside, q, 0.0)

    def quadrature(self, n_r: int | None = None, n_mu: int = 20, n_l: int | None = None):
        """Nodes (n, 3) and weights (n,) of int_ball f dV, spherical about the Sun.

        Gauss-Legendre in r and in mu = sin b (split at the plane, where the vertical profile
        has its kink), periodic trapezoid in l. Defaults: 24 x 40 x 16 nodes, with arms
        32 x 40 x 48 (an arm is ~w R_sun = 0.6 kpc wide across the 1 kpc ball).
        """
        arms = self.arms is not None
        n_r = n_r if n_r is not None else (32 if arms else 24)
        n_l = n_l if n_l is not None else (48 if arms else 16)
        xr, wr = np.polynomial.legendre.leggauss(n_r)
        r = 0.5 * self.distance_kpc * (xr + 1.0)
        wr = 0.5 * self.distance_kpc * wr * r**2
        xm, wm = np.polynomial.legendre.leggauss(n_mu)
        mu = np.concatenate([0.5 * (xm - 1.0), 0.5 * (xm + 1.0)])
        wmu = np.concatenate([0.5 * wm, 0.5 * wm])
        lon = 2.0 * np.pi * np.arange(n_l) / n_l
        wl = np.full(n_l, 2.0 * np.pi / n_l)
        rr, mm, ll = np.meshgrid(r, mu, lon, indexing="ij")
        w = (wr[:, None, None] * wmu[None, :, None] * wl[None, None, :]).ravel()
        cb = np.sqrt(1.0 - mm**2)
        nodes = np.stack([rr * cb * np.cos(ll), rr * cb * np.sin(ll), rr * mm], -1).reshape(-1, 3)
        return nodes, w

    def probability(self) -> float:
        """P = int_ball p dV: the share of all sources that fall in the ball."""
        nodes, w = self.quadrature()
        return float(np.sum(w * self.density(nodes)))

    def draw_positions(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` offsets (n, 3) drawn from p inside the ball (rejection from a bounding box;
        with arms from a tabulated envelope, :meth:`_draw_under_envelope`)."""
        if self.arms is not None:
            return self._draw_under_envelope(rng, n)
        d = self.distance_kpc
        bound = self._density_bound
        out = np.empty((0, 3))
        while len(out) < n:
            m = max(4 * (n - len(out)), 64)
            trial = rng.uniform(-d, d, size=(m, 3))
            keep = (np.sum(trial**2, axis=-1) < d * d) & (
                rng.uniform(0.0, bound, size=m) < self.density(trial)
            )
            out = np.concatenate([out, trial[keep]])
        return out[:n]

    @cached_property
    def _density_bound(self) -> float:
        nodes, _ = self.quadrature(16, 16, 16)
        box = np.random.default_rng(0).uniform(-self.distance_kpc, self.distance_kpc, (4096, 3))
        box[:, 2] = 0.0
        return 1.5 * float(max(self.density(nodes).max(), self.density(box).max()))

    ENVELOPE_CELLS = (256, 512)
    """Cells of the arms' envelope: per side in (x, y), and in z."""
    ENVELOPE_SAFETY = 1.25
    """The horizontal envelope: the largest of p at a cell's corners and centre times this."""

    @cached_property
    def _envelope(self):
        """A piecewise-constant bound of p on the box around the ball, separable as
        F(x, y) Z(z): F bounds p(x, y, 0) per cell (corners and centre, times
        :data:`ENVELOPE_SAFETY`; the arms vary over ~w R_sun >> the cell), Z bounds
        Q_z(z) / Q_z(0) per z cell (exactly: Q_z is monotone on each side of the plane, a
        cell edge)."""
        d = self.distance_kpc
        nxy, nz = self.ENVELOPE_CELLS
        u = np.linspace(-d, d, nxy + 1)
        c = 0.5 * (u[1:] + u[:-1])

        def plane(a, b):
            x, y = np.meshgrid(a, b, indexing="ij")
            return self.density(np.stack([x, y, np.zeros_like(x)], -1))

        corner = plane(u, u)
        f = np.maximum.reduce(
            [corner[:-1, :-1], corner[1:, :-1], corner[:-1, 1:], corner[1:, 1:], plane(c, c)]
        )
        f = self.ENVELOPE_SAFETY * f
        w = np.linspace(-d, d, nz + 1)
        vert = self.sources.vertical
        q = vert.shape(w) / vert.shape(np.zeros(1))[0]
        zb = np.maximum(q[:-1], q[1:])
        mass = f.sum() * (u[1] - u[0]) ** 2 * zb.sum() * (w[1] - w[0])
        return f.ravel(), zb, u, w, max(self.probability() / mass, 1e-6)

    def _draw_under_envelope(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Rejection sampling of p from :attr:`_envelope`: a cell drawn by its weight, a
        uniform point in it, kept with probability p / envelope (and inside the ball)."""
        f, zb, u, w, acceptance = self._envelope
        d, nxy = self.distance_kpc, len(u) - 1
        pf, pz = f / f.sum(), zb / zb.sum()
        out = np.empty((0, 3))
        while len(out) < n:
            m = min(max(int(np.ceil(1.3 * (n - len(out)) / acceptance)), 64), 1_000_000)
            k = rng.choice(f.size, m, p=pf)
            j = rng.choice(zb.size, m, p=pz)
            ix, iy = np.divmod(k, nxy)
            trial = np.stack(
                [
                    u[ix] + (u[1] - u[0]) * rng.uniform(size=m),
                    u[iy] + (u[1] - u[0]) * rng.uniform(size=m),
                    w[j] + (w[1] - w[0]) * rng.uniform(size=m),
                ],
                -1,
            )
            keep = (np.sum(trial**2, axis=-1) < d * d) & (
                rng.uniform(size=m) * f[k] * zb[j] < self.density(trial)
            )
            out = np.concatenate([out, trial[keep]])
        return out[:n]

"""The direction of the regular Galactic magnetic field, for the 3D diffusion tensor.

Frame: the package's Galactocentric frame, that of the 3D gas and the sky maps
(:mod:`escapade.galaxy.gas3d.survey`): x, y, z in kpc, the Sun at x = +R_sun, y = 0, z = 0,
**Galactic longitude l = 90 deg at +y**, z towards the North Galactic Pole; a point at
distance s along (l, b) from the Sun is x = R_sun - s cos b cos l, y = s cos b sin l,
z = s sin b, and a direction (b_x, b_y) at the Sun points to l = atan2(b_y, -b_x). R, phi are
the cylindrical radius and the azimuth phi = atan2(y, x). The Galaxy rotates towards +phi
(at the Sun towards l = 90 deg, +y): counterclockwise seen from +z. (This frame is the mirror
image of a right-handed one viewed from the North Galactic Pole, where the rotation is
clockwise; the published models below are written here in it, their azimuths mirrored.)

Sign convention of the spirals: a pitch angle p > 0 is a *trailing* spiral, the sense of the
Milky Way's arms: a field line moves outward as it is followed against the rotation, i.e.
towards -phi (the arm loci of Faucher-Giguere & Kaspi 2006, ApJ 643, 332, and the spiral
regions of Jansson & Farrar 2012, ApJ 757, 14, both trail so). Orientation: the local field
points along the rotation, towards l = 90 deg - p at the Sun (the published models below fix
it so; with Pshirkov et al. 2011's p = -5 deg the local field points to l = 90 deg + p = 85
deg, the convention of Tinyakov & Tkachev 2002, Astropart. Phys. 18, 165, on which their model
builds). Only the direction b = B / |B| enters the diffusion tensor, and only up to its sign
(D_ij contains b_i b_j).

Models (``[field] model``, :data:`FIELD_MODELS`):

- ``log_spiral``: b = -sin p R_hat + cos p phi_hat, the same p everywhere (p = 0: the
  purely azimuthal field of the letter, Evoli et al. 2012).
- ``pshirkov2011_ass`` / ``pshirkov2011_bss``: the axisymmetric / bisymmetric spiral disc of
  Pshirkov, Tinyakov, Kronberg & Newton-McGee 2011 (ApJ 738, 192, eqs. 3-5 and Table 3) plus
  their antisymmetric toroidal halo (:class:`Pshirkov2011`).
- ``jansson_farrar2012_disc``: the disc of Jansson & Farrar 2012 (ApJ 757, 14, Sec. 5.1, eq. 5,
  Table 1): a molecular ring and eight logarithmic-spiral regions, plus their toroidal halo
  (:class:`JanssonFarrar2012Disc`; the out-of-plane "X" field is not included).

Where a model's field vanishes (a BSS reversal line, the axis, beyond a model's outer edge)
the direction is undefined; there b is the ``log_spiral`` direction with the model's pitch
(on the axis R = 0, where phi_hat is undefined, phi = 0 is taken: b = (-sin p, cos p, 0)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELD_MODELS = ("log_spiral", "pshirkov2011_ass", "pshirkov2011_bss", "jansson_farrar2012_disc")
"""The names of ``[field] model``."""

ZERO_FIELD_FRACTION = 1e-9
"""|B| below this fraction of the largest |B| on the given points counts as no field."""


def _cylindrical(x, y):
    """R (kpc), phi (rad) and the unit vectors R_hat, phi_hat (shape (..., 3))."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    r = np.hypot(x, y)
    phi = np.arctan2(y, x)
    c, s, zero = np.cos(phi), np.sin(phi), np.zeros_like(phi)
    return r, phi, np.stack([c, s, zero], axis=-1), np.stack([-s, c, zero], axis=-1)


def log_spiral_direction(pitch_deg: float, x, y) -> np.ndarray:
    """Unit vectors b = -sin p R_hat + cos p phi_hat of a trailing logarithmic spiral with
    pitch angle p (deg; 0 = azimuthal, along the rotation), shape (..., 3)."""
    _, _, r_hat, phi_hat = _cylindrical(x, y)
    p = np.radians(pitch_deg)
    return -np.sin(p) * r_hat + np.cos(p) * phi_hat


@dataclass(frozen=True)
class Pshirkov2011:
    """The regular field of Pshirkov et al. 2011 (ApJ 738, 192), in uG.

    Disc (their eqs. 3-5, after Sun et al. 2008, A&A 477, 573), with their azimuth
    theta = phi (along the rotation, 0 at the Sun) and their pitch p_P = -p < 0::

        b_P = 1 / tan p_P,   Phi = b_P ln(1 + d / R_sun) - pi / 2,
        g   = cos(theta - b_P ln(r / R_sun) + Phi)        (BSS),  |g|  (ASS),
        B   = B0 R_sun / (max(r, R_c) cos Phi) g exp(-|z| / z0),
        B_r = B sin p_P,   B_theta = B cos p_P

    (the field points along the rotation at the Sun, to l = 90 deg + p_P; for the BSS it
    reverses at r = R_sun + d on the Sun - Galactic centre line). Halo, antisymmetric and
    toroidal::

        B_phi^H = -+B0^H / (1 + ((|z| - z0^H) / z1^H)^2) (r / R0^H) exp(1 - r / R0^H),

    z1^H = ``z1_inner_kpc`` for |z| < z0^H, else ``z1_outer_kpc``; against the rotation in
    the north (-phi_hat), along it in the south (the local disc field's direction below the
    plane). The halo jumps at z = 0; there (a node of an odd nz) it is the mean of its two
    sides.

    Parameters: Table 3 of Pshirkov et al. 2011 (their two benchmark models), as quoted with
    that citation by the gammaALPs package (M. Meyer, ``gammaALPs/bfields/gmf.py``,
    ``GMFPshirkov``) and by CRPropa's ``PshirkovField``: B0 = 2 uG, R_c = 5 kpc, z0 = 1 kpc,
    d = -0.6 kpc, R_sun = 8.5 kpc, p = -5 deg (ASS) / -6 deg (BSS); halo z0^H = 1.3 kpc,
    R0^H = 8 kpc, z1^H = 0.25 kpc (|z| < z0^H) / 0.4 kpc, B0^H = 4 uG (north), 2 uG (south,
    ASS) / 4 uG (south, BSS). Divergence-free for r > R_c (the amplitude falls as 1/r along
    field lines and the pattern g is constant along them).
    """

    bisymmetric: bool = False
    pitch_deg: float = 5.0
    halo: bool = True
    b0_ug: float = 2.0
    r_c_kpc: float = 5.0
    z0_kpc: float = 1.0
    d_kpc: float = -0.6
    r_sun_kpc: float = 8.5
    halo_z0_kpc: float = 1.3
    halo_r0_kpc: float = 8.0
    halo_z1_inner_kpc: float = 0.25
    halo_z1_outer_kpc: float = 0.4
    halo_b0_north_ug: float = 4.0
    halo_b0_south_ug: float = 2.0

    @classmethod
    def published(cls, bisymmetric: bool, pitch_deg: float | None = None, halo: bool = True):
        """The paper's ASS (p = 5 deg here, their -5) or BSS (6 deg, their -6) model."""
        if pitch_deg is None:
            pitch_deg = 6.0 if bisymmetric else 5.0
        south = 4.0 if bisymmetric else 2.0
        return cls(bisymmetric, pitch_deg, halo, halo_b0_south_ug=south)

    def components(self, x, y, z):
        """(B_R, B_phi, B_z) in uG at the points (x, y, z) of the module's frame."""
        r, phi, _, _ = _cylindrical(x, y)
        z = np.asarray(z, dtype=float)
        p = -np.radians(self.pitch_deg)  # the paper's (negative) pitch
        b = 1.0 / np.tan(p)
        big_phi = b * np.log1p(self.d_kpc / self.r_sun_kpc) - 0.5 * np.pi
        theta = phi  # their azimuth, along the rotation
        with np.errstate(divide="ignore"):
            g = np.cos(theta - b * np.log(np.maximum(r, 1e-300) / self.r_sun_kpc) + big_phi)
        if not self.bisymmetric:
            g = np.abs(g)
        amp = self.b0_ug * self.r_sun_kpc / (np.maximum(r, self.r_c_kpc) * np.cos(big_phi))
        disc = amp * g * np.exp(-np.abs(z) / self.z0_kpc)
        b_r = disc * np.sin(p)
        b_phi = disc * np.cos(p)  # B_theta, theta_hat = phi_hat
        if self.halo:
            b_phi = b_phi + self._halo_phi(r, z)
        return b_r, b_phi, np.zeros_like(b_r)

    def _halo_phi(self, r, z):
        az = np.abs(z)
        z1 = np.where(az < self.halo_z0_kpc, self.halo_z1_inner_kpc, self.halo_z1_outer_kpc)
        shape = (r / self.halo_r0_kpc) * np.exp(1.0 - r / self.halo_r0_kpc)
        shape = shape / (1.0 + ((az - self.halo_z0_kpc) / z1) ** 2)
        mid = 0.5 * (self.halo_b0_south_ug - self.halo_b0_north_ug)  # z = 0: the mean
        b0 = np.where(
            z > 0.0, -self.halo_b0_north_ug, np.where(z < 0.0, self.halo_b0_south_ug, mid)
        )
        return b0 * shape


def _transition(x, h, w):
    """L(x; h, w) = 1 / (1 + exp(-2 (|x| - h) / w)) (Jansson & Farrar 2012, eq. 5)."""
    return 0.5 * (1.0 + np.tanh((np.abs(x) - h) / w))  # the same function, no overflow


@dataclass(frozen=True)
class JanssonFarrar2012Disc:
    """The disc field (and toroidal halo) of Jansson & Farrar 2012 (ApJ 757, 14), in uG.

    Their frame is right-handed with the Sun at x = -8.5 kpc; their azimuth is
    phi_JF = pi - phi (mirrored; 0 on the far side of the centre from the Sun), so their
    phi_hat_JF = -phi_hat. For 5 <= r <= 20 kpc the disc is split into eight regions by
    logarithmic spirals r = r_j exp((phi_JF - pi) tan i) = r_j exp(-phi tan i) (r_j is where
    dividing line j crosses the Sun's azimuth); in region j::

        B_r = b_j (5 kpc / r) sin i,   B_phi_JF = b_j (5 kpc / r) cos i,

    for 3 <= r < 5 kpc the molecular ring B_phi_JF = b_ring; both times
    1 - L(z; h_disk, w_disk). The toroidal halo (``halo = True``)::

        B_phi_JF = exp(-|z| / z0) L(z; h_disk, w_disk) B_n,s (1 - L(r; r_n,s, w_h))

    with B_n for z > 0, B_s for z < 0 (their mean at z = 0). Table 1 of Jansson & Farrar 2012
    as quoted with that citation by gammaALPs (``gammaALPs/bfields/gmf.py``, ``GMF``): i = 11.5
    deg; b_1..b_7 = 0.1, 3.0, -0.9, -0.8, -2.0, -4.2, 0.0 uG; r_j = 5.1, 6.3, 7.1, 8.3, 9.8,
    11.4, 12.7, 15.5 kpc; relative widths f_j = 0.130, 0.165, 0.094, 0.122, 0.13, 0.118, 0.084,
    0.156; b_8 from their flux conservation, b_8 = -sum_{j<8} f_j b_j / f_8 (their Sec. 5.1.1),
    which makes the spiral disc divergence-free; b_ring = 0.1 uG, h_disk = 0.4 kpc, w_disk =
    0.27 kpc; B_n = 1.4 uG, B_s = -1.1 uG, r_n = 9.22 kpc, r_s = 16.7 kpc, w_h = 0.2 kpc, z0 =
    5.3 kpc. The Sun is in region 5 (b_5 = -2.0 uG): the local field points along the rotation
    and inward, towards l = 90 deg - i. :meth:`components` returns B_phi = -B_phi_JF.
    """

    pitch_deg: float = 11.5
    halo: bool = True
    b_arms_ug: tuple[float, ...] = (0.1, 3.0, -0.9, -0.8, -2.0, -4.2, 0.0)
    r_arms_kpc: tuple[float, ...] = (5.1, 6.3, 7.1, 8.3, 9.8, 11.4, 12.7, 15.5)
    f_arms: tuple[float, ...] = (0.130, 0.165, 0.094, 0.122, 0.13, 0.118, 0.084, 0.156)
    b_ring_ug: float = 0.1
    h_disk_kpc: float = 0.4
    w_disk_kpc: float = 0.27
    b_north_ug: float = 1.4
    b_south_ug: float = -1.1
    r_north_kpc: float = 9.22
    r_south_kpc: float = 16.7
    w_halo_kpc: float = 0.2
    z0_kpc: float = 5.3

    def b_arms(self) -> np.ndarray:
        """b_1..b_8 (uG), b_8 fixed by the flux condition."""
        b, f = np.asarray(self.b_arms_ug), np.asarray(self.f_arms)
        return np.append(b, -np.sum(f[:-1] * b) / f[-1])

    def region(self, x, y) -> np.ndarray:
        """Index 0..7 of the spiral region of each point (the next dividing line outward)."""
        r, phi, _, _ = _cylindrical(x, y)
        tan_i = np.tan(np.radians(self.pitch_deg))
        winding = 2.0 * np.pi * tan_i
        lnr = np.log(np.maximum(r, 1e-300))
        s = np.mod(lnr + phi * tan_i - np.log(self.r_arms_kpc[0]), winding)
        bounds = np.log(np.asarray(self.r_arms_kpc) / self.r_arms_kpc[0])
        j = np.searchsorted(bounds, s, side="left")
        return np.where(j >= len(bounds), 0, j)

    def components(self, x, y, z):
        """(B_R, B_phi, B_z) in uG at the points (x, y, z) of the module's frame."""
        r, _, _, _ = _cylindrical(x, y)
        z = np.asarray(z, dtype=float)
        i = np.radians(self.pitch_deg)
        amp = self.b_arms()[self.region(x, y)] * 5.0 / np.maximum(r, 5.0)
        spiral = (r >= 5.0) & (r <= 20.0)
        ring = (r >= 3.0) & (r < 5.0)
        disc_z = 1.0 - _transition(z, self.h_disk_kpc, self.w_disk_kpc)
        b_r = np.where(spiral, amp * np.sin(i), 0.0) * disc_z
        b_phi = np.where(spiral, amp * np.cos(i), np.where(ring, self.b_ring_ug, 0.0)) * disc_z
        if self.halo:
            north = self.b_north_ug * (1.0 - _transition(r, self.r_north_kpc, self.w_halo_kpc))
            south = self.b_south_ug * (1.0 - _transition(r, self.r_south_kpc, self.w_halo_kpc))
            tor = np.exp(-np.abs(z) / self.z0_kpc)
            tor = tor * _transition(z, self.h_disk_kpc, self.w_disk_kpc)
            mid = 0.5 * (north + south)  # z = 0, where the halo changes: the mean
            b_phi = b_phi + tor * np.where(z > 0.0, north, np.where(z < 0.0, south, mid))
        return b_r, -b_phi, np.zeros_like(b_r)  # B_phi = -B_phi_JF


def published_model(cfg_field) -> Pshirkov2011 | JanssonFarrar2012Disc:
    """The published model object of a ``[field]`` section (not ``log_spiral``)."""
    pitch, halo = cfg_field.pitch_angle_deg, cfg_field.halo
    if cfg_field.model in ("pshirkov2011_ass", "pshirkov2011_bss"):
        return Pshirkov2011.published(cfg_field.model.endswith("bss"), pitch, halo)
    if cfg_field.model == "jansson_farrar2012_disc":
        return JanssonFarrar2012Disc(11.5 if pitch is None else pitch, halo)
    raise ValueError(f"field.model = {cfg_field.model!r}: allowed {', '.join(FIELD_MODELS)}")


def model_pitch_deg(cfg_field) -> float:
    """The pitch angle (deg) the ``[field]`` section sets: the key, else the model's own."""
    if cfg_field.pitch_angle_deg is not None:
        return float(cfg_field.pitch_angle_deg)
    if cfg_field.model == "log_spiral":
        return 0.0
    return float(published_model(cfg_field).pitch_deg)


def field_vector(cfg_field, x, y, z) -> np.ndarray:
    """The regular field B (uG) of a published model, Cartesian components, shape (..., 3)."""
    _, _, r_hat, phi_hat = _cylindrical(x, y)
    b_r, b_phi, b_z = published_model(cfg_field).components(x, y, z)
    z_hat = np.array([0.0, 0.0, 1.0])
    return b_r[..., None] * r_hat + b_phi[..., None] * phi_hat + b_z[..., None] * z_hat


def field_direction(cfg_field, x, y, z) -> np.ndarray:
    """Unit vectors b (..., 3) of the regular field at the points (x, y, z) in kpc.

    ``cfg_field`` is a ``[field]`` section (:class:`escapade.config.FieldConfig`). Where the
    model's field vanishes (|B| < :data:`ZERO_FIELD_FRACTION` of its largest value on these
    points, or exactly 0) b is the log-spiral direction with the model's pitch (module
    docstring).
    """
    x, y, z = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, y, z)))
    fallback = log_spiral_direction(model_pitch_deg(cfg_field), x, y)
    if cfg_field.model == "log_spiral":
        return fallback
    b = field_vector(cfg_field, x, y, z)
    norm = np.linalg.norm(b, axis=-1)
    floor = ZERO_FIELD_FRACTION * (float(norm.max()) if norm.size else 0.0)
    weak = ~(norm > floor)
    out = b / np.where(weak, 1.0, norm)[..., None]
    return np.where(weak[..., None], fallback, out)

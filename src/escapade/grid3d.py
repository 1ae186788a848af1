"""The Cartesian (x, y, z) grid of the 3D transport engine.

Nodes ``x_kpc[i]`` and ``y_kpc[j]`` run from -R_max to +R_max (``nxy`` nodes each),
``z_kpc[k]`` from -H to +H (``nz`` nodes). The domain is the cylinder of the 2D (R, z)
engine (:mod:`escapade.grid`): a node is an unknown when sqrt(x^2 + y^2) < R_max and
|z| < H, every other node carries the free-escape condition N = 0 (Dirichlet), so 2D
and 3D answers can be compared. Every unknown node lies strictly inside the box, so it
owns the full control volume dx dy dz (the box between the mid-points to its six
neighbours), which is what the finite-volume operator of
:mod:`escapade.transport3d.operator` conserves; the curved wall R = R_max is resolved
as a staircase of nodes (first-order in the wall's position, error <= dx).

Fields on the grid are plain arrays of shape ``(nxy, nxy, nz)`` (vectors: a trailing
axis of length 3), indexed ``[i, j, k]`` as :meth:`Grid3D.mesh` (``indexing="ij"``);
vectors of unknowns are the inside nodes in C order (z fastest).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

_EDGE = 1e-12
"""Relative tolerance that puts a node exactly on R = R_max or |z| = H on the boundary."""


@dataclass(frozen=True)
class Grid3D:
    """Spatial grid of the 3D engine (kpc).

    Parameters
    ----------
    r_max_kpc : radius R_max of the cylinder, half-width of the box in x and y (kpc).
    halo_height_kpc : half-height H of the diffusive halo (kpc).
    nxy : nodes along x and along y (each spanning -R_max..R_max), >= 3.
    nz : nodes along z (-H..H), >= 3.
    """

    r_max_kpc: float
    halo_height_kpc: float
    nxy: int
    nz: int

    def __post_init__(self) -> None:
        if not (self.r_max_kpc > 0 and self.halo_height_kpc > 0):
            raise ValueError(
                f"Grid3D: r_max_kpc = {self.r_max_kpc} and halo_height_kpc = "
                f"{self.halo_height_kpc} must be > 0"
            )
        if int(self.nxy) < 3 or int(self.nz) < 3:
            raise ValueError(f"Grid3D: nxy = {self.nxy} and nz = {self.nz} must be >= 3")

    # ----------------------------------------------------------------- nodes
    @cached_property
    def x_kpc(self) -> np.ndarray:
        """Node positions along x, (nxy,), kpc."""
        return np.linspace(-self.r_max_kpc, self.r_max_kpc, self.nxy)

    @cached_property
    def y_kpc(self) -> np.ndarray:
        """Node positions along y, (nxy,), kpc."""
        return np.linspace(-self.r_max_kpc, self.r_max_kpc, self.nxy)

    @cached_property
    def z_kpc(self) -> np.ndarray:
        """Node positions along z, (nz,), kpc."""
        return np.linspace(-self.halo_height_kpc, self.halo_height_kpc, self.nz)

    @property
    def dx_kpc(self) -> float:
        """Spacing along x (kpc)."""
        return 2.0 * self.r_max_kpc / (self.nxy - 1)

    @property
    def dy_kpc(self) -> float:
        """Spacing along y (kpc), equal to dx."""
        return self.dx_kpc

    @property
    def dz_kpc(self) -> float:
        """Spacing along z (kpc)."""
        return 2.0 * self.halo_height_kpc / (self.nz - 1)

    @property
    def spacing_kpc(self) -> tuple[float, float, float]:
        """(dx, dy, dz) in kpc."""
        return (self.dx_kpc, self.dy_kpc, self.dz_kpc)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(nxy, nxy, nz): the shape of a field on all nodes."""
        return (self.nxy, self.nxy, self.nz)

    def mesh(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """X, Y, Z node coordinates (kpc), each (nxy, nxy, nz), indexing "ij"."""
        return np.meshgrid(self.x_kpc, self.y_kpc, self.z_kpc, indexing="ij")

    @cached_property
    def radius_kpc(self) -> np.ndarray:
        """Galactocentric cylindrical radius sqrt(x^2 + y^2) of the nodes, (nxy, nxy, 1)."""
        return np.hypot(self.x_kpc[:, None, None], self.y_kpc[None, :, None])

    # -------------------------------------------------------------- unknowns
    @cached_property
    def inside(self) -> np.ndarray:
        """Boolean mask (nxy, nxy, nz) of the unknowns: R < R_max and |z| < H."""
        in_r = self.radius_kpc < self.r_max_kpc * (1.0 - _EDGE)
        in_z = np.abs(self.z_kpc) < self.halo_height_kpc * (1.0 - _EDGE)
        return in_r & in_z[None, None, :]

    @cached_property
    def n_unknowns(self) -> int:
        """Number of unknown nodes."""
        return int(np.count_nonzero(self.inside))

    @cached_property
    def index(self) -> np.ndarray:
        """Index of each node among the unknowns (-1 on Dirichlet nodes), (nxy, nxy, nz)."""
        out = np.full(self.shape, -1, dtype=np.int64)
        out[self.inside] = np.arange(self.n_unknowns)
        return out

    def to_unknowns(self, full: np.ndarray) -> np.ndarray:
        """Field on all nodes (nxy, nxy, nz, ...) -> values on the unknowns (n_unknowns, ...)."""
        full = np.asarray(full)
        if full.shape[:3] != self.shape:
            raise ValueError(f"field of shape {full.shape} is not on a grid of shape {self.shape}")
        return np.ascontiguousarray(full[self.inside])

    def to_full(self, vec: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Values on the unknowns (n_unknowns, ...) -> field on all nodes, ``fill`` elsewhere."""
        vec = np.asarray(vec)
        if vec.shape[0] != self.n_unknowns:
            raise ValueError(
                f"vector of length {vec.shape[0]}, grid has {self.n_unknowns} unknowns"
            )
        out = np.full(self.shape + vec.shape[1:], fill, dtype=vec.dtype)
        out[self.inside] = vec
        return out

    # ---------------------------------------------------------------- volumes
    @property
    def cell_volume_kpc3(self) -> float:
        """Control volume dx dy dz of every unknown node (kpc^3)."""
        return self.dx_kpc * self.dy_kpc * self.dz_kpc

    @cached_property
    def volume_kpc3(self) -> np.ndarray:
        """Control volume of every node (nxy, nxy, nz), kpc^3: dx dy dz, halved on each face
        of the box a node lies on (those nodes are Dirichlet nodes)."""

        def axis(n: int) -> np.ndarray:
            w = np.ones(n)
            w[[0, -1]] = 0.5
            return w

        vol = axis(self.nxy)[:, None, None] * axis(self.nxy)[None, :, None] * axis(self.nz)
        return vol * self.cell_volume_kpc3

    @cached_property
    def unknown_volume_kpc3(self) -> np.ndarray:
        """Control volumes of the unknowns, (n_unknowns,), kpc^3 (all equal dx dy dz)."""
        return np.full(self.n_unknowns, self.cell_volume_kpc3)

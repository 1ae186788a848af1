"""Mirror symmetry in z: the exact reduction of an energy solve to the half z >= 0.

The (R, z) grid has nz (odd) nodes from z = -H to +H, the mid-plane node m = nz // 2 at
z = 0. When the face conductances, the diagonal (control volume times destruction and loss
rates) and the right-hand side of an energy's system are symmetric under j -> nz-1-j
(vertical faces: j -> nz-2-j) and a wind's volume flow is antisymmetric, the solution is
symmetric too, N_{m-1} = N_{m+1}. The row of node m,

    diag N_m - T_up N_{m+1} - T_down N_{m-1} - (radial couplings) = rhs_m,  T_down = T_up,

halved (its control volume cut at z = 0) reads

    (diag / 2) N_m - T_up N_{m+1} - (radial couplings) / 2 = rhs_m / 2,

and with the rows of the nodes above it, unchanged, it forms a system on the half grid
[ghost, m, m+1, ..., top] (nz - m + 1 nodes; the ghost node below m is no unknown and is
coupled to nothing) that is again symmetric positive definite (with a wind: the same
exponential fitting, the mid-plane's upward and downward coefficients being mirror
images), has the full system's solution restricted to z >= 0, and about half its unknowns.
``[solver] z_symmetry`` ("auto" or "off") chooses it; :mod:`escapade.transport.solver`
checks every energy's inputs (:meth:`ZMirror.applies`) and solves the full system where
they are not symmetric (the GALPROP analytic gas, for instance, whose H2 disc has a
measured mid-plane offset z0(R)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..grid import Grid
from .operator import assemble, to_full, to_unknowns

Z_SYMMETRY_RTOL = 1e-12
"""An array is mirror-symmetric in z when it differs from its mirror image by at most this
fraction of its largest absolute value (rounding of the grid's node positions and volumes)."""


def symmetric_in_z(a: np.ndarray | None, odd: bool = False) -> bool:
    """Whether ``a`` (..., n along z) equals its mirror image a[..., ::-1] (``odd``: minus
    it) within ``Z_SYMMETRY_RTOL`` of its largest absolute value (None: True). Node arrays
    mirror j -> nz-1-j, vertical-face arrays j -> nz-2-j: both reverse the last axis."""
    if a is None:
        return True
    a = np.asarray(a, dtype=float)
    mirror = -a[..., ::-1] if odd else a[..., ::-1]
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    return bool(np.all(np.abs(a - mirror) <= Z_SYMMETRY_RTOL * scale))


@dataclass(frozen=True)
class HalfGrid:
    """The node counts of the half grid: all that
    :func:`~escapade.transport.operator.assemble`,
    :func:`~escapade.transport.operator.to_full` and
    :func:`~escapade.transport.operator.to_unknowns` read of a grid."""

    nr: int
    nz: int


class ZMirror:
    """The half-grid system of a mirror-symmetric energy solve, and the way back.

    ``space`` is the half grid (its node counts), ``tag`` marks its preconditioners' keys
    in :class:`~escapade.transport.solver.ReusingSolver` (the half and full systems differ
    in size)."""

    tag = ("half",)

    def __init__(self, grid: Grid):
        self.nr, self.nz, self.mid = grid.nr, grid.nz, grid.nz // 2
        self.space = HalfGrid(grid.nr, grid.nz - self.mid + 1)

    @classmethod
    def of(cls, grid: Grid, flow_z: np.ndarray | None = None) -> ZMirror | None:
        """The reduction for ``grid`` and the wind's volume flow ``flow_z`` (nr, nz-1),
        kpc^3/Myr, or None where it cannot apply: nz even, node positions or control
        volumes not symmetric about z = 0, or a wind not antisymmetric."""
        if grid.nz % 2 == 0 or grid.nz < 3:
            return None
        ok = (
            symmetric_in_z(grid.z_kpc[None, :], odd=True)
            and symmetric_in_z(np.asarray(grid.volume_kpc3))
            and symmetric_in_z(flow_z, odd=True)
        )
        return cls(grid) if ok else None

    @staticmethod
    def applies(*arrays: np.ndarray) -> bool:
        """Whether every array (node or face arrays of one energy) is mirror-symmetric."""
        return all(symmetric_in_z(a) for a in arrays)

    def nodes(self, a: np.ndarray) -> np.ndarray:
        """A volume-weighted node array (..., nz) (diagonal, right-hand side), or the radial
        conductances (nr-1, nz), on the half grid: a zero ghost column, then the columns
        j >= m, the mid-plane one halved."""
        out = np.zeros(a.shape[:-1] + (self.space.nz,))
        out[..., 1:] = a[..., self.mid :]
        out[..., 1] *= 0.5
        return out

    def faces(self, a: np.ndarray | None) -> np.ndarray | None:
        """A vertical-face array (..., nz-1) (conductances, a wind's flow) on the half grid:
        a zero face between the ghost and the mid-plane node, then the faces above it."""
        if a is None:
            return None
        out = np.zeros(a.shape[:-1] + (self.space.nz - 1,))
        out[..., 1:] = a[..., self.mid :]
        return out

    def system(
        self,
        t_r: np.ndarray,
        t_z: np.ndarray,
        diag_extra: np.ndarray,
        rhs: np.ndarray,
        flow_z: np.ndarray | None = None,
    ) -> tuple[sp.csc_matrix, np.ndarray]:
        """The half-grid matrix and right-hand side from the full grid's face conductances
        (kpc^3/Myr), diagonal and right-hand side (nr, nz) and wind flow (as for
        :func:`~escapade.transport.operator.assemble`)."""
        m = assemble(
            self.space, self.nodes(t_r), self.faces(t_z), self.nodes(diag_extra), self.faces(flow_z)
        )
        return m, to_unknowns(self.space, self.nodes(rhs))

    def density(self, u: np.ndarray) -> np.ndarray:
        """Half-grid unknowns -> the density on all nodes (nr, nz), mirrored below z = 0."""
        h = to_full(self.space, u)
        full = np.empty((self.nr, self.nz))
        full[:, self.mid :] = h[:, 1:]
        full[:, : self.mid] = h[:, :1:-1]
        return full

    def unknowns(self, full: np.ndarray) -> np.ndarray:
        """A density on all nodes (nr, nz) -> the half grid's unknowns (its part z >= 0)."""
        part = np.zeros((self.nr, self.space.nz))
        part[:, 1:] = full[:, self.mid :]
        return to_unknowns(self.space, part)


class WholeGrid:
    """The full grid's system, with the interface of :class:`ZMirror` (no reduction)."""

    tag = ()

    def __init__(self, grid: Grid):
        self.space = grid

    @staticmethod
    def nodes(a: np.ndarray) -> np.ndarray:
        return a

    @staticmethod
    def faces(a: np.ndarray | None) -> np.ndarray | None:
        return a

    def system(self, t_r, t_z, diag_extra, rhs, flow_z=None) -> tuple[sp.csc_matrix, np.ndarray]:
        """The full grid's matrix (:func:`~escapade.transport.operator.assemble`) and
        right-hand side."""
        return assemble(self.space, t_r, t_z, diag_extra, flow_z), to_unknowns(self.space, rhs)

    def density(self, u: np.ndarray) -> np.ndarray:
        return to_full(self.space, u)

    def unknowns(self, full: np.ndarray) -> np.ndarray:
        return to_unknowns(self.space, full)

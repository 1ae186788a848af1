"""Finite-volume operator -div(D grad N) with the full diffusion tensor on the 3D grid.

The tensor is D_ij = D_perp (delta_ij - b_i b_j) + D_par b_i b_j, with b the unit vector
of the regular magnetic field. Write it as D = D_perp I + (D_par - D_perp) b b^T: an
isotropic part and a field-aligned part of rank one. Each unknown node of
:class:`escapade.grid3d.Grid3D` owns the control volume V = dx dy dz; integrated over
it, -div(D grad N) becomes a sum of fluxes, discretised as follows.

* The isotropic part, D_perp I, by the compact seven-point stencil: the flux through the
  face between neighbours p and q along axis a is T_pq (N_p - N_q), T = D_f V / h_a^2,
  D_f the arithmetic mean of D_perp at p and q.
* The field-aligned part, K = (D_par - D_perp) b b^T, by the symmetric scheme of Guenter,
  Yu, Krueger & Lackner (2005, J. Comput. Phys. 209, 354): the gradient is evaluated at
  the corners of the control volumes (the centres c of the grid cells, between eight
  nodes) as the average of the four edge differences along each axis,
  (d N/dx)_c = sum_{four x-edges of c} (N_{i+1} - N_i) / (4 dx), the flux there is
  F_c = -K_c (grad N)_c, and its divergence is taken with the transposed stencil. The
  matrix is sum_c V g_c^T K_c g_c (g_c the 3 x 8 gradient stencil of cell c): symmetric
  positive semi-definite, and it annihilates a constant, so what leaves one control
  volume enters its neighbours and the scheme is exactly conservative. K_c uses the
  mean of (D_par - D_perp) over the eight nodes and the field direction at the cell
  centre (the mean of the eight node vectors, their signs aligned, normalised; where
  they disagree by more than ~60 degrees, near the axis of an azimuthal field, the mean
  of b b^T over the nodes).

Keeping D_perp on the compact stencil removes the odd-even (checkerboard) null modes of
the corner gradient, which in Guenter et al.'s original form (the whole tensor at the
corners, scheme ``"symmetric_full"`` here) let a point source excite a sign-alternating
response. Neither form is monotone: the cross terms give positive off-diagonal entries,
and near a sharp source the density can dip below zero (Sharma & Hammett 2007, J.
Comput. Phys. 227, 123, Sect. 2-3, who also show the numerical leak across the field
that :mod:`docs/transport3d.md` measures). Scheme ``"monotone"`` adds the discrete
artificial diffusion of Kuzmin, Shashkov & Svyatskiy (2009, J. Comput. Phys. 228, 3448,
Sect. 3): every positive off-diagonal a_pq becomes a flux a_pq (N_p - N_q) on the
diagonal, so the matrix is a Stieltjes M-matrix (N >= 0 for Q >= 0), still symmetric and
conservative, at the price of a larger leak across the field (linear, no limiter).

The assembled matrices are in kpc^3/Myr for D in kpc^2/Myr (the operator times the
control volume), over the unknowns in the order of :meth:`Grid3D.to_unknowns`; the
couplings to the Dirichlet nodes (N = 0 there) give the flux through the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..grid3d import Grid3D

SCHEMES = ("symmetric", "symmetric_full", "monotone")
"""Discretisations of the tensor; see the module docstring."""
MIN_WALL_FRACTION = 0.05
"""Smallest fraction of a link inside the wall (a node closer to the wall than this times the
spacing gets the conductance of this distance)."""
COHERENT = 0.5
"""Below this length of the sign-aligned mean of the eight node field vectors, a cell uses
the mean of b b^T instead of a rank-one tensor."""


@dataclass(frozen=True)
class Operator3D:
    """The volume-integrated operator over the unknowns and its coupling to the boundary.

    ``matrix`` (n_unknowns, n_unknowns) and ``boundary`` (n_unknowns, n_dirichlet), CSR,
    kpc^3/Myr: (matrix @ u + boundary @ g)_p is V times -div(D grad N) at unknown p for
    the density u on the unknowns and g on the Dirichlet nodes (C order of
    ``~grid.inside``). Together they have zero row sums (a constant density has no flux).
    """

    matrix: sp.csr_matrix
    boundary: sp.csr_matrix
    scheme: str

    @property
    def escape_weights(self) -> np.ndarray:
        """Rate (kpc^3/Myr) at which density at each unknown crosses into the N = 0 nodes."""
        return -np.asarray(self.boundary.sum(axis=1)).ravel()

    def outflow(self, u: np.ndarray) -> float:
        """Particles per unit time leaving through the boundary (N = 0 there), for the
        density u on the unknowns (units of u times kpc^3/Myr)."""
        return float(self.escape_weights @ u)

    def scaled(self, factor: float) -> Operator3D:
        """The operator of D times ``factor`` (a rigidity scaling)."""
        return Operator3D(self.matrix * factor, self.boundary * factor, self.scheme)


def _check_fields(grid: Grid3D, d_perp, d_par, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = grid.shape
    d_perp = np.broadcast_to(np.asarray(d_perp, dtype=float), shape)
    d_par = np.broadcast_to(np.asarray(d_par, dtype=float), shape)
    b = np.broadcast_to(np.asarray(b, dtype=float), shape + (3,))
    for name, arr in (("d_perp", d_perp), ("d_par", d_par), ("b", b)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"transport3d operator: {name} has non-finite values")
    if np.any(d_perp <= 0):
        raise ValueError(f"transport3d operator: d_perp must be > 0 (min {d_perp.min():.3g})")
    if np.any(d_par < d_perp * (1.0 - 1e-12)):
        raise ValueError(
            "transport3d operator: d_par must be >= d_perp everywhere (the ratio "
            f"d_par/d_perp reaches {float(np.min(d_par / d_perp)):.3g})"
        )
    norm = np.linalg.norm(b, axis=-1)
    if np.any((norm > 1e-12) & (np.abs(norm - 1.0) > 1e-6)):
        raise ValueError("transport3d operator: b must be a unit vector (or zero) at every node")
    return d_perp, d_par, b


def _corner_nodes(grid: Grid3D) -> tuple[np.ndarray, np.ndarray]:
    """Cells touching at least one unknown: their (i, j, k) and their eight node indices.

    Returns (cells (n_c, 3), nodes (n_c, 8) flat full-grid indices, corner order
    (a, b, c) in {0,1}^3 with c fastest)."""
    inside = grid.inside
    touch = np.zeros((grid.nxy - 1, grid.nxy - 1, grid.nz - 1), dtype=bool)
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                touch |= inside[a : a + grid.nxy - 1, b : b + grid.nxy - 1, c : c + grid.nz - 1]
    cells = np.argwhere(touch)
    ny, nz = grid.nxy, grid.nz
    base = (cells[:, 0] * ny + cells[:, 1]) * nz + cells[:, 2]
    offs = np.array([(a * ny + b) * nz + c for a in (0, 1) for b in (0, 1) for c in (0, 1)])
    return cells, base[:, None] + offs[None, :]


def _gradient_stencil(grid: Grid3D) -> np.ndarray:
    """The 3 x 8 corner-gradient weights g (1/kpc): (grad N)_c = g @ N[eight nodes]."""
    corners = np.array([(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)], float)
    sign = 2.0 * corners - 1.0  # (8, 3)
    return (sign / (4.0 * np.asarray(grid.spacing_kpc))).T


def _cell_direction(b_nodes: np.ndarray) -> np.ndarray:
    """Field tensor b b^T at each cell centre from the eight node vectors (n_c, 8, 3)."""
    norms = np.linalg.norm(b_nodes, axis=-1)
    ref = np.take_along_axis(b_nodes, np.argmax(norms, axis=1)[:, None, None], axis=1)
    sign = np.where(np.sum(b_nodes * ref, axis=-1) < 0, -1.0, 1.0)
    mean = np.mean(sign[..., None] * b_nodes, axis=1)
    length = np.linalg.norm(mean, axis=-1)
    unit = mean / np.where(length > 0, length, 1.0)[:, None]
    rank_one = np.einsum("ci,cj->cij", unit, unit)
    averaged = np.einsum("cni,cnj->cij", b_nodes, b_nodes) / b_nodes.shape[1]
    return np.where((length >= COHERENT)[:, None, None], rank_one, averaged)


def _wall_projection(grid: Grid3D, cells: np.ndarray, nodes: np.ndarray, tensors: np.ndarray):
    """Field tensors of the cells touching a Dirichlet node, projected on the wall normals.

    In a cell with a corner outside the domain (N = 0 there, a staircase up to one cell
    beyond the wall), the parallel gradient along a field tangent to the wall is an
    artefact of the staircase; with the full b b^T it drives a spurious flux into the
    wall, a leak across the field of order D_par h / L (docs/transport3d.md). There the
    field-aligned part is kept only along the wall normals n (the cylinder's radial unit
    vector at the cell centre for the wall R = R_max, z for |z| = H): P b b^T P with
    P = sum n n^T, so the escape through the wall, D_par (b.n)^2 dN/dn, stays.
    """
    out = tensors.copy()
    idx = grid.index.ravel()[nodes]
    wall = np.any(idx < 0, axis=1)
    if not np.any(wall):
        return out
    x, y, z = grid.mesh()
    r_out = np.hypot(x, y).ravel()[nodes] >= grid.r_max_kpc * (1.0 - 1e-12)
    z_out = np.abs(z).ravel()[nodes] >= grid.halo_height_kpc * (1.0 - 1e-12)
    radial = wall & np.any(r_out & (idx < 0), axis=1)
    vertical = wall & np.any(z_out & (idx < 0), axis=1)
    h = np.asarray(grid.spacing_kpc)
    centre = (cells + 0.5) * h + np.array([-grid.r_max_kpc, -grid.r_max_kpc, -grid.halo_height_kpc])
    rho = np.hypot(centre[:, 0], centre[:, 1])
    n_r = np.zeros_like(centre)
    n_r[:, :2] = centre[:, :2] / np.where(rho > 0, rho, 1.0)[:, None]
    proj = radial[:, None, None] * np.einsum("ci,cj->cij", n_r, n_r)
    proj[:, 2, 2] += vertical
    sel = np.flatnonzero(wall)
    out[sel] = proj[sel] @ tensors[sel] @ proj[sel]
    return out


def _rows_to_operator(grid: Grid3D, rows: sp.csr_matrix, scheme: str) -> Operator3D:
    """Split an (n_unknowns, n_full) matrix into its unknown and Dirichlet columns."""
    flat = grid.inside.ravel()
    csc = rows.tocsc()
    matrix = csc[:, np.flatnonzero(flat)].tocsr()
    boundary = csc[:, np.flatnonzero(~flat)].tocsr()
    matrix.sum_duplicates()
    boundary.sum_duplicates()
    return Operator3D(matrix, boundary, scheme)


def _corner_part(grid: Grid3D, weights: np.ndarray, tensors: np.ndarray, nodes) -> sp.csr_matrix:
    """sum_c V g_c^T (w_c T_c) g_c, rows on the unknowns, columns on all nodes."""
    g = _gradient_stencil(grid)  # (3, 8)
    n_c = nodes.shape[0]
    n_full = grid.nxy * grid.nxy * grid.nz
    k = (grid.cell_volume_kpc3 * weights)[:, None, None] * tensors  # (n_c, 3, 3)
    wg = np.einsum("cab,bn->can", k, g)  # (n_c, 3, 8): rows (c, a) of W G
    cols = np.broadcast_to(nodes[:, None, :], (n_c, 3, 8))
    rows = np.broadcast_to(np.arange(3 * n_c).reshape(n_c, 3, 1), (n_c, 3, 8))
    wg_mat = sp.csr_matrix((wg.ravel(), (rows.ravel(), cols.ravel())), shape=(3 * n_c, n_full))
    index = grid.index.ravel()[nodes]  # (n_c, 8) unknown index or -1
    gcols = np.broadcast_to(index[:, None, :], (n_c, 3, 8))
    gval = np.broadcast_to(g[None, :, :], (n_c, 3, 8))
    keep = gcols >= 0
    g_u = sp.csr_matrix((gval[keep], (rows[keep], gcols[keep])), shape=(3 * n_c, grid.n_unknowns))
    return (g_u.T.tocsr() @ wg_mat).tocsr()


def _wall_fraction(grid: Grid3D, lo, hi) -> np.ndarray:
    """Fraction theta in (0, 1] of the link lo -> hi along ``axis`` (x or y) that lies inside
    R < R_max, for links from an unknown to a node outside the cylinder (1 elsewhere)."""
    x, y, _ = grid.mesh()
    p = np.stack([x[lo], y[lo]])
    q = np.stack([x[hi], y[hi]])
    d = q - p
    # |p + t d|^2 = R^2, the root in (0, 1] (p inside, q outside)
    a = np.sum(d * d, axis=0)
    bq = 2.0 * np.sum(p * d, axis=0)
    c = np.sum(p * p, axis=0) - grid.r_max_kpc**2
    disc = np.sqrt(np.maximum(bq * bq - 4.0 * a * c, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-bq + disc) / (2.0 * a)
    return np.clip(np.nan_to_num(t, nan=1.0), MIN_WALL_FRACTION, 1.0)


def _compact_part(grid: Grid3D, d_perp: np.ndarray, wall: bool = True) -> sp.csr_matrix:
    """Seven-point isotropic part with face conductances T = D_f V / h^2 (rows on the unknowns,
    columns on all nodes).

    A link from an unknown to a node outside R_max crosses the wall at a fraction theta of
    its length; its conductance is T / theta, so the flux D N_p / (theta h) sees N = 0 on
    the circle itself, not on the staircase of nodes (Shortley & Weller 1938, J. Appl.
    Phys. 9, 334; the matrix stays symmetric, only its diagonal grows)."""
    shape = grid.shape
    flat_index = np.arange(np.prod(shape)).reshape(shape)
    unk = grid.index
    r_list, c_list, v_list = [], [], []
    for axis, h in enumerate(grid.spacing_kpc):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis] = slice(0, -1)
        hi[axis] = slice(1, None)
        lo, hi = tuple(lo), tuple(hi)
        t = 0.5 * (d_perp[lo] + d_perp[hi]) * grid.cell_volume_kpc3 / h**2
        for a, b in ((lo, hi), (hi, lo)):
            row = unk[a]
            keep = row >= 0
            t_ab = t
            if wall and axis < 2:
                cut = keep & (unk[b] < 0)
                frac = np.ones_like(t)
                frac[cut] = _wall_fraction(grid, a, b)[cut]
                t_ab = t / frac
            r_list += [row[keep], row[keep]]
            c_list += [flat_index[a][keep], flat_index[b][keep]]
            v_list += [t_ab[keep], -t_ab[keep]]
    n_full = int(np.prod(shape))
    return sp.csr_matrix(
        (np.concatenate(v_list), (np.concatenate(r_list), np.concatenate(c_list))),
        shape=(grid.n_unknowns, n_full),
    )


def corner_geometry(grid: Grid3D, b, wall: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The cells of the field-aligned part: their eight node indices (n_c, 8) (flat, all
    nodes) and field tensors (n_c, 3, 3) (b b^T at the cell, projected at the wall if
    ``wall``). They depend on the grid and the field only, not on D."""
    b = np.broadcast_to(np.asarray(b, dtype=float), grid.shape + (3,))
    cells, nodes = _corner_nodes(grid)
    tensors = _cell_direction(b.reshape(-1, 3)[nodes])
    if wall:
        tensors = _wall_projection(grid, cells, nodes, tensors)
    return nodes, tensors


def parallel_update(
    grid: Grid3D, delta_par: np.ndarray, geometry: tuple[np.ndarray, np.ndarray], scheme: str
) -> Operator3D:
    """The change of the parallel part A_par for a change ``delta_par`` of D_par on the
    nodes (kpc^2/Myr, (nxy, nxy, nz)): A_par is linear in D_par, and only the cells with a
    node where ``delta_par`` is non-zero contribute, so a D_par that differs from a scaled
    reference on a few nodes (``diffusion.parallel_floor`` binding) costs a fraction of an
    assembly. ``geometry``: :func:`corner_geometry` of the same grid, field and wall."""
    nodes, tensors = geometry
    delta = np.asarray(delta_par, dtype=float).ravel()[nodes]
    sel = np.flatnonzero(np.any(delta != 0.0, axis=1))
    rows = _corner_part(grid, delta[sel].mean(axis=1), tensors[sel], nodes[sel])
    return _rows_to_operator(grid, rows, scheme)


def assemble_parts(
    grid: Grid3D, d_perp, d_par, b, scheme: str = "symmetric", wall: bool = True
) -> tuple[Operator3D, Operator3D]:
    """The operator's perpendicular and parallel parts, A = A_perp + A_par.

    A_perp is linear in ``d_perp`` and A_par in ``d_par`` (kpc^2/Myr, arrays on all nodes
    (nxy, nxy, nz) or scalars), so D_perp and D_par with different rigidity slopes give
    A(E) = s_perp(E) A_perp + s_par(E) A_par (:func:`combine`) without reassembly. ``b``:
    unit field vectors (nxy, nxy, nz, 3) (zero where undefined, e.g. on the axis of an
    azimuthal field). ``wall=True``: N = 0 holds on the cylinder's wall R = R_max (cut
    links of the compact part, :func:`_compact_part`) and the field-aligned part of the
    cells touching a Dirichlet node acts only along the wall normals
    (:func:`_wall_projection`); ``wall=False``: the Dirichlet nodes themselves carry the
    boundary values (the staircase; for tests that impose non-zero boundary values).
    For ``scheme="monotone"`` the parts are those of ``"symmetric"``; :func:`combine`
    corrects their sum.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"transport3d scheme {scheme!r} unknown; allowed: {', '.join(SCHEMES)}")
    d_perp, d_par, b = _check_fields(grid, d_perp, d_par, b)
    nodes, tensors = corner_geometry(grid, b, wall)
    perp_c = d_perp.ravel()[nodes].mean(axis=1)
    par_c = d_par.ravel()[nodes].mean(axis=1)
    par = _corner_part(grid, par_c, tensors, nodes)
    if scheme == "symmetric_full":
        perp = _corner_part(grid, perp_c, np.eye(3)[None] - tensors, nodes)
    else:
        perp = _compact_part(grid, d_perp, wall) - _corner_part(grid, perp_c, tensors, nodes)
    return _rows_to_operator(grid, perp, scheme), _rows_to_operator(grid, par, scheme)


def combine(
    parts: tuple[Operator3D, Operator3D], s_perp: float = 1.0, s_par: float = 1.0
) -> Operator3D:
    """s_perp A_perp + s_par A_par (then the monotone correction if the parts ask for it)."""
    perp, par = parts
    op = Operator3D(
        (s_perp * perp.matrix + s_par * par.matrix).tocsr(),
        (s_perp * perp.boundary + s_par * par.boundary).tocsr(),
        perp.scheme,
    )
    return make_monotone(op) if op.scheme == "monotone" else op


def make_monotone(op: Operator3D) -> Operator3D:
    """Discrete upwinding (Kuzmin, Shashkov & Svyatskiy 2009, Sect. 3): every positive
    off-diagonal entry a_pq (also towards a Dirichlet node) is removed and added to the
    diagonal, i.e. an artificial diffusive flux a_pq (N_p - N_q) is added. Row sums, hence
    conservation, and symmetry are kept; the result is an M-matrix."""
    a = op.matrix.tocoo()
    off = (a.row != a.col) & (a.data > 0)
    pos = sp.csr_matrix((a.data[off], (a.row[off], a.col[off])), shape=a.shape)
    bnd = op.boundary.tocoo()
    bpos = np.where(bnd.data > 0, bnd.data, 0.0)
    extra = np.asarray(pos.sum(axis=1)).ravel()
    extra += np.bincount(bnd.row, weights=bpos, minlength=a.shape[0])
    matrix = (op.matrix - pos + sp.diags(extra)).tocsr()
    boundary = sp.csr_matrix((bnd.data - bpos, (bnd.row, bnd.col)), shape=bnd.shape)
    matrix.eliminate_zeros()
    boundary.eliminate_zeros()
    return Operator3D(matrix, boundary, "monotone")


def assemble(
    grid: Grid3D, d_perp, d_par, b, scheme: str = "symmetric", wall: bool = True
) -> Operator3D:
    """The volume-integrated operator V (-div(D grad N)) (kpc^3/Myr) for D_perp, D_par
    (kpc^2/Myr) and the unit field b on all nodes; see :func:`assemble_parts`."""
    return combine(assemble_parts(grid, d_perp, d_par, b, scheme, wall))

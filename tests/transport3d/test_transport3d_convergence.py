"""Observed order of convergence on a manufactured solution.

N = exp(-x^T M x) with variable D_perp = 1 + 0.3 x, D_par = 10 (1 + 0.3 y) and an oblique
uniform field; the source is Q = -div(D grad N) = -(D : Hess N + (div D) . grad N), with
(div D)_j = d_j D_perp + b_j (b . grad (D_par - D_perp)). The Dirichlet nodes carry the
exact values (``wall=False``). The maximum error over the unknowns should fall as h^2.
"""

import numpy as np

from escapade.grid3d import Grid3D
from escapade.transport3d import assemble, solve_steady

B = np.array([1.0, 1.0, 0.5]) / 1.5
M = np.diag([1 / 0.4**2, 1 / 0.5**2, 1 / 0.35**2])


def max_error(n):
    grid = Grid3D(1.0, 1.0, n, n)
    x, y, z = grid.mesh()
    pos = np.stack([x, y, z], axis=-1)
    mx = pos @ M
    exact = np.exp(-np.einsum("...i,...i->...", pos, mx))
    grad = -2.0 * mx * exact[..., None]
    hess = (4.0 * mx[..., :, None] * mx[..., None, :] - 2.0 * M) * exact[..., None, None]
    d_perp, d_par = 1.0 + 0.3 * x, 10.0 * (1.0 + 0.3 * y)
    bb = np.outer(B, B)
    tensor = d_perp[..., None, None] * (np.eye(3) - bb) + d_par[..., None, None] * bb
    grad_perp = np.array([0.3, 0.0, 0.0])
    grad_diff = np.array([0.0, 3.0, 0.0]) - grad_perp
    div_d = grad_perp + B * (B @ grad_diff)
    q = -(np.einsum("...ij,...ij->...", tensor, hess) + grad @ div_d)
    op = assemble(grid, d_perp, d_par, np.broadcast_to(B, grid.shape + (3,)), wall=False)
    rhs = grid.to_unknowns(q) * grid.cell_volume_kpc3 - op.boundary @ exact[~grid.inside]
    res = solve_steady(grid, op.matrix, 0.0, rhs, rtol=1e-11)
    return float(np.max(np.abs(res.u - grid.to_unknowns(exact))))


def test_second_order_convergence():
    errors = [max_error(n) for n in (11, 21, 41)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    print("errors", errors, "orders", orders)
    # measured max errors 0.179, 0.0395, 0.00963 (11, 21, 41 nodes): orders 2.18, 2.04
    # (13, 25, 49 nodes: 0.1175, 0.0272, 0.00667, orders 2.11, 2.03)
    assert np.all(orders > 1.8)

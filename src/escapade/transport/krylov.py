"""Krylov iterations preconditioned by a kept factorisation (the energy solves of
:class:`~escapade.transport.solver.ReusingSolver`).

* :func:`pcg`: conjugate gradients (Hestenes & Stiefel 1952, J. Res. NBS 49, 409) for the
  symmetric positive-definite systems, written out without the per-call wrappers of scipy's
  ``cg`` (the systems are small: ~6000 unknowns, ~6 iterations).
* :func:`bicgstab`: scipy's BiCGSTAB (van der Vorst 1992, SIAM J. Sci. Stat. Comput. 13,
  631) for the non-symmetric systems of a wind.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

__all__ = ["bicgstab", "pcg"]


def pcg(m, b: np.ndarray, psolve, atol: float, maxiter: int):
    """Preconditioned conjugate gradients from x0 = 0, stopping when the recursive
    residual's norm is below ``atol`` (as scipy's ``cg``, without its per-call wrappers:
    each iteration is one preconditioner solve, one product and three vector updates);
    returns (x, iterations), x None if not converged (x0 = P^-1 b: 3-5 % more solves)."""
    x, r = np.zeros_like(b), b.copy()
    p = rho_prev = None
    for it in range(maxiter + 1):
        if np.linalg.norm(r) < atol:
            return x, it
        if it == maxiter:
            break
        z = psolve(r)
        rho = float(r @ z)
        if p is None:
            p = z
        else:
            p = z + (rho / rho_prev) * p
        q = m @ p
        alpha = rho / float(p @ q)
        x += alpha * p
        r -= alpha * q
        rho_prev = rho
    return None, maxiter


def bicgstab(m, b: np.ndarray, lu, rtol: float, maxiter: int):
    """scipy's BiCGSTAB preconditioned by ``lu`` from x0 = lu.solve(b)."""
    pre = spla.LinearOperator(m.shape, matvec=lu.solve, dtype=float)
    iters = [0]

    def count(_):
        iters[0] += 1

    x, info = spla.bicgstab(
        m, b, x0=lu.solve(b), rtol=rtol, atol=0.0, M=pre, callback=count, maxiter=maxiter
    )
    return (x if info == 0 else None), iters[0]

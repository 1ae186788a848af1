"""Sparse direct factorisations of one energy's system (``[solver] factorization``).

* ``"ldl"`` (default): the LDL^T factorisation of a symmetric matrix, M = P^T L D L^T P, by
  QDLDL (Stellato, Banjac, Goulart, Bemporad & Boyd 2020, Math. Program. Comput. 12, 637:
  the linear-system solver of OSQP; Apache-2.0, the ``qdldl`` package on PyPI) with the
  approximate-minimum-degree ordering P of Amestoy, Davis & Duff 1996 (SIAM J. Matrix Anal.
  Appl. 17, 886). The transport systems without a wind are symmetric positive definite
  (:mod:`escapade.transport.operator`), for which LDL^T without pivoting is Cholesky's
  factorisation up to the diagonal scaling, so it is backward stable (Higham 2002, *Accuracy
  and Stability of Numerical Algorithms*, ch. 10). It stores one triangle: on the 6320
  unknowns of an 81 x 81 grid L has 107k non-zeros against 217k in SuperLU's L + U, and a
  pair of triangular solves takes 0.15 ms against 0.25 ms (benchmarks/results.md).
* ``"superlu"``: SuperLU's general sparse LU (Li 2005, ACM TOMS 31, 302; ``scipy.sparse.
  linalg.splu``, column ordering MMD on A^T + A), as before.

A non-symmetric matrix (a wind) always goes to SuperLU; so does a symmetric one whose LDL^T
meets a zero or non-finite pivot (not positive definite), which should not happen for a
physical system but keeps the solve from failing where LU with partial pivoting would not.
Both factorisations expose ``solve(b)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["FACTORIZATIONS", "SPLU", "factorize"]

FACTORIZATIONS = ("ldl", "superlu")
SPLU = {"permc_spec": "MMD_AT_PLUS_A"}
"""Options of SuperLU's factorisation (the column ordering)."""


class LDL:
    """QDLDL's LDL^T factorisation of a symmetric sparse matrix, with ``solve(b)``."""

    def __init__(self, m):
        import qdldl

        m = sp.csc_matrix(m)
        self._factor = qdldl.Solver(m)
        # the assembled matrices of a grid share one read-only pattern: kept, not copied
        self._pattern = tuple(
            a if not a.flags.writeable else a.copy() for a in (m.indptr, m.indices)
        )

    def solve(self, b: np.ndarray) -> np.ndarray:
        return self._factor.solve(np.ascontiguousarray(b, dtype=float))

    def refactor(self, m) -> bool:
        """Factorise ``m``, of the same sparsity pattern, in place of the kept factors,
        reusing the ordering and the symbolic analysis (QDLDL's ``update``: 1.8 ms against
        3.7 ms for a new factorisation on 6320 unknowns). False if the pattern differs
        (checked here: QDLDL does not) or the update fails (a zero pivot; the factors are
        then unusable)."""
        m = sp.csc_matrix(m)
        indptr, indices = self._pattern
        same = (m.indptr is indptr and m.indices is indices) or (
            np.array_equal(m.indptr, indptr) and np.array_equal(m.indices, indices)
        )
        if not same:
            return False
        try:
            self._factor.update(m)
        except (RuntimeError, ValueError):
            return False
        return True


def factorize(m, symmetric: bool = True, method: str = "ldl"):
    """A factorisation of the sparse matrix ``m`` with ``solve(b)`` (module docstring):
    LDL^T for a symmetric ``m`` with ``method = "ldl"``, else SuperLU's LU."""
    if method not in FACTORIZATIONS:
        raise ValueError(
            f"solver.factorization = {method!r}: allowed are {', '.join(FACTORIZATIONS)}"
        )
    if symmetric and method == "ldl":
        try:
            return LDL(m)
        except (RuntimeError, ValueError):  # a zero pivot: not quasi-definite
            pass
    return spla.splu(sp.csc_matrix(m), **SPLU)

"""Energy quadrature shared by the production matrices (pi0, IC, bremsstrahlung, e+-).

The production integrals  q(E) = int dT sigma(T, E) N(T)  over a CR (or lepton) density
known on the model's log energy grid are done on a finer log grid: a trapezoid in ln T
(:func:`log_trapezoid`) with N interpolated from the model grid linearly in ln T of
N T^p (:func:`power_law_interp_matrix`; p close to the spectral index keeps a power-law
density exact between the nodes). Both are plain numerics (no physics choice).
"""

from __future__ import annotations

import math

import numpy as np


def log_trapezoid(lo: float, hi: float, points_per_decade: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes T (log-spaced from ``lo`` to ``hi``, both in the same energy unit) and weights
    dT = T dlnT of the trapezoid rule in ln T (end weights halved)."""
    n = max(2, int(math.ceil(points_per_decade * math.log10(hi / lo))) + 1)
    nodes = np.geomspace(lo, hi, n)
    dln = math.log(nodes[1] / nodes[0])
    w = np.full(n, dln)
    w[0] = w[-1] = 0.5 * dln
    return nodes, w * nodes


def power_law_interp_matrix(grid: np.ndarray, fine: np.ndarray, index: float) -> np.ndarray:
    """H (n_fine x n_grid) with N(fine) = H @ N(grid): N T^index linear in ln T between
    the grid nodes (clamped to the end intervals outside the grid)."""
    grid = np.asarray(grid, float)
    fine = np.asarray(fine, float)
    lg = np.log(grid)
    lx = np.log(fine)
    i = np.clip(np.searchsorted(lg, lx, side="right") - 1, 0, grid.size - 2)
    w = np.clip((lx - lg[i]) / (lg[i + 1] - lg[i]), 0.0, 1.0)
    h = np.zeros((fine.size, grid.size))
    rows = np.arange(fine.size)
    h[rows, i] += (1 - w) * (grid[i] / fine) ** index
    h[rows, i + 1] += w * (grid[i + 1] / fine) ** index
    return h


def log_gauss_band(band, nodes_per_decade: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes E in ln E over ``band`` = (emin, emax) (GeV) and weights
    dE = E dlnE, at least 8 nodes; ValueError unless 0 < emin < emax."""
    emin, emax = (float(x) for x in band)
    if not (0 < emin < emax):
        raise ValueError(f"energy band must satisfy 0 < emin < emax, got {band}")
    n = max(8, int(math.ceil(nodes_per_decade * math.log10(emax / emin))))
    x, w = np.polynomial.legendre.leggauss(n)
    la, lb = math.log(emin), math.log(emax)
    eg = np.exp(0.5 * (lb - la) * x + 0.5 * (lb + la))
    return eg, 0.5 * (lb - la) * w * eg

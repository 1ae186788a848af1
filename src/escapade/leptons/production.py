"""Secondary electrons and positrons from cosmic-ray p and He on interstellar H and He.

Source of secondaries of charge c (e- or e+), per unit lepton energy, at every node:

    Q_c(E_e) = sum_{k in (1H, 4He)} sum_{t in (H, He)} n_t int dT beta_k(T) c N_k(T)
               dsigma_{k t -> c}/dE_e(T, E_e)

(T the kinetic energy per nucleon, N_k the solved CR density per GeV/n). Model
``"aafrag_kamae2006"`` (the only one now): the table
``escapade/data/xsec/lepton_production_AAfrag_Kamae2006.txt`` made by
``scripts/make_lepton_production_table.py`` from aafragpy - AAfrag/QGSJET-II-04m
(Kachelriess, Moskalenko & Ostapchenko 2019, CPC 245, 106846; Kachelriess, Ostapchenko &
Tjemsland 2023, CPC 287, 108698; Koldobskiy et al. 2021, PRD 104, 123027) above
T = 10 GeV/n and the Kamae et al. 2006 (ApJ 647, 692) p-p parametrisation, scaled per
channel to be continuous there, below (see the file header). The table is interpolated
bilinearly in (ln T, ln E_e) of ln(dsigma/dE_e) (zero where a corner is zero).

Matrices: ``source_matrices(ekin)`` returns, per (projectile, target, lepton), M
(n_lepton x n_cr) with Q(E_i) = n_t sum_j M[i, j] N_k(T_j); the T integral is done on a
fine grid (40 points per decade) onto which N is interpolated linearly in ln T after
weighting by T^2.7, as in :mod:`escapade.emission.pion`. Other CR nuclei (Z > 2) and
heavier ISM nuclei are left out (a few per cent, as for pi0).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from ..constants import C_CM_S, MB_CM2
from ..numerics.quadrature import log_trapezoid, power_law_interp_matrix
from ..species import nuclide

__all__ = ["LEPTON_PRODUCTION_MODELS", "LeptonProduction", "production_table"]

LEPTON_PRODUCTION_MODELS = ("aafrag_kamae2006",)
_FILE = "lepton_production_AAfrag_Kamae2006.txt"
_PROJ = {"p": "1H", "He": "4He"}
_TARG = {"p": "H", "He": "He"}


@dataclass(frozen=True)
class LeptonTable:
    t_gev_per_n: np.ndarray
    e_gev: np.ndarray
    blocks: dict  # (projectile species, target, lepton) -> (n_T, n_E) dsigma/dE in mb/GeV


@cache
def production_table(model: str = "aafrag_kamae2006") -> LeptonTable:
    """Read the shipped table of ``model``."""
    if model not in LEPTON_PRODUCTION_MODELS:
        raise ValueError(
            f"secondary lepton production model {model!r} unknown; allowed: "
            f"{', '.join(LEPTON_PRODUCTION_MODELS)}"
        )
    text = resources.files("escapade.data.xsec").joinpath(_FILE).read_text(encoding="utf-8")
    e_grid = None
    blocks: dict = {}
    rows: list = []
    key = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("E_e "):
            e_grid = np.array(line.split()[1:], float)
        elif line.startswith("channel "):
            if key is not None:
                blocks[key] = np.array(rows)
            _, proj, targ, lep = line.split()
            key = (_PROJ[proj], _TARG[targ], lep)
            rows = []
        else:
            rows.append([float(x) for x in line.split()])
    blocks[key] = np.array(rows)
    t_grid = next(iter(blocks.values()))[:, 0]
    blocks = {k: v[:, 1:] for k, v in blocks.items()}
    return LeptonTable(t_grid, e_grid, blocks)


def _interp2_log(tab: LeptonTable, values: np.ndarray, t, e) -> np.ndarray:
    """Bilinear interpolation of ln(values) in (ln T, ln E); 0 outside or at zero corners."""
    lt, le = np.log(tab.t_gev_per_n), np.log(tab.e_gev)
    x, y = np.log(np.asarray(t, float)), np.log(np.asarray(e, float))
    i = np.clip(np.searchsorted(lt, x) - 1, 0, lt.size - 2)
    j = np.clip(np.searchsorted(le, y) - 1, 0, le.size - 2)
    wx = ((x - lt[i]) / (lt[i + 1] - lt[i]))[:, None]
    wy = ((y - le[j]) / (le[j + 1] - le[j]))[None, :]
    with np.errstate(divide="ignore"):
        lv = np.log(values)
    c00 = lv[np.ix_(i, j)]
    c01 = lv[np.ix_(i, j + 1)]
    c10 = lv[np.ix_(i + 1, j)]
    c11 = lv[np.ix_(i + 1, j + 1)]
    with np.errstate(invalid="ignore"):
        out = np.exp(
            (1 - wx) * (1 - wy) * c00 + (1 - wx) * wy * c01 + wx * (1 - wy) * c10 + wx * wy * c11
        )
    inside = ((x >= lt[0]) & (x <= lt[-1]))[:, None] & ((y >= le[0]) & (y <= le[-1]))[None, :]
    return np.where(inside & np.isfinite(out), out, 0.0)


class LeptonProduction:
    """Production matrices of secondary e- and e+ (see the module docstring)."""

    def __init__(self, model: str = "aafrag_kamae2006", points_per_decade: int = 40):
        self.table = production_table(model)
        self.model = model
        self.points_per_decade = points_per_decade

    def source_matrices(
        self, lepton_ekin_gev, cr_ekin_gev_per_n=None
    ) -> dict[tuple[str, str, str], np.ndarray]:
        """{(projectile, target, lepton): M (n_lepton x n_cr)} in cm^3 s^-1 GeV^-1 x GeV/n.

        Q_lepton(E_i) [1/(cm^3 s GeV)] = n_target sum_j M[i, j] N_projectile(T_j), with the
        CR density on ``cr_ekin_gev_per_n`` (default: the lepton energies).
        """
        el = np.asarray(lepton_ekin_gev, float)
        e = el if cr_ekin_gev_per_n is None else np.asarray(cr_ekin_gev_per_n, float)
        lo, hi = max(e[0], self.table.t_gev_per_n[0]), e[-1]
        tf, wq = log_trapezoid(lo, hi, self.points_per_decade)
        h = power_law_interp_matrix(e, tf, 2.7)  # N(tf) = H @ N_grid: N T^2.7 linear in ln T
        out = {}
        for (proj, targ, lep), vals in self.table.blocks.items():
            sig = _interp2_log(self.table, vals, tf, el) * MB_CM2  # (n_fine, n_lep) cm^2/GeV
            beta = nuclide(proj).beta(tf)
            k = beta * C_CM_S * wq
            out[(proj, targ, lep)] = (sig * k[:, None]).T @ h
        return out

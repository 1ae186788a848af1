"""The model cylinder seen from the Sun, the line-of-sight accuracy controls, path lengths.

The path along (l, b) ends where it leaves the model cylinder R <= R_max, |z| <= H:

    s_max  = min( (R_sun cos l + sqrt(R_max^2 - R_sun^2 sin^2 l)) / cos b,  H / |sin b| ).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..config import Config
from ..galaxy.gas import AnalyticGas
from ..galaxy.gas3d import SurveyGas3D, build_gas
from ..galaxy.gas3d.survey import path_length_kpc as survey_path_length_kpc
from ..solution import as_solution

__all__ = ["Geometry", "Stepping", "gas_of", "geometry_of", "path_length_kpc"]


@dataclass(frozen=True)
class Geometry:
    """The model cylinder and the observer: all in kpc (:func:`geometry_of` reads them from a
    solution)."""

    r_sun_kpc: float
    r_max_kpc: float
    h_kpc: float

    def __post_init__(self):
        if not (0.0 <= self.r_sun_kpc < self.r_max_kpc) or self.h_kpc <= 0:
            raise ValueError(f"invalid geometry {self}: need 0 <= R_sun < R_max and H > 0")


@dataclass(frozen=True)
class Stepping:
    """Accuracy controls of the line-of-sight integral (see the module docstring)."""

    ds_max_kpc: float = 0.2
    """Longest step along the line of sight, kpc."""
    dz_rel: float = 0.05
    """Relative step in |z| of the geometric part: ds = dz_rel (z_soft + |z|) / |sin b|."""
    z_soft_kpc: float = 0.02
    """Softening height of the geometric steps near the Sun, kpc."""
    table_dr_kpc: float = 0.025
    """Radial spacing of the integrand table, kpc."""
    table_dz_kpc: float = 0.0025
    """Vertical spacing of the integrand table, kpc."""
    min_samples: int = 16
    """Fewest samples along any line of sight."""

    def refined(self, factor: float = 2.0) -> Stepping:
        """All steps divided by ``factor`` (for convergence checks)."""
        return Stepping(
            self.ds_max_kpc / factor,
            self.dz_rel / factor,
            self.z_soft_kpc / factor,
            self.table_dr_kpc / factor,
            self.table_dz_kpc / factor,
            self.min_samples,
        )


def geometry_of(ds) -> Geometry:
    """The geometry of a solution: R_max and H from its grid, R_sun from its config."""
    sol = as_solution(ds)
    return Geometry(sol.sun_r_kpc, sol.r_max_kpc, sol.halo_height_kpc)


def gas_of(ds) -> AnalyticGas | SurveyGas3D:
    """The gas model of a solution's ``[gas]`` section (:func:`escapade.galaxy.gas3d.build_gas`;
    one object per distinct configuration, so a survey3d gas and its line-of-sight kernel
    are built once)."""
    cfg = as_solution(ds).config
    return _gas(cfg.gas.model_dump_json(), cfg.galaxy.model_dump_json())


@lru_cache(maxsize=4)
def _gas(gas_json: str, galaxy_json: str):
    cfg = Config(gas=json.loads(gas_json), galaxy=json.loads(galaxy_json))
    return build_gas(cfg)


def path_length_kpc(l_rad, b_rad, geom: Geometry) -> np.ndarray:
    """Distance from the Sun to the edge of the model cylinder along (l, b) (the formula of
    the module docstring, :func:`escapade.galaxy.gas3d.survey.path_length_kpc`)."""
    return survey_path_length_kpc(l_rad, b_rad, geom.r_sun_kpc, geom.r_max_kpc, geom.h_kpc)

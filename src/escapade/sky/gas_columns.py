"""Column densities of a 3D gas seen from the Sun, for the figures of the gas.

:func:`gas_column_maps` projects a gas with a 3D face (``[gas] model = "survey3d"``) with its
own line-of-sight kernel (:func:`escapade.sky.los3d.gas_kernel`) and an emissivity of 1 on
every node: the kernel rows then sum to the columns, H atoms cm^-2, of each phase (HI held
to HI4PI, H2 as 2 N_H2, HII, and the dark gas when on). Next to them the survey itself
(``hi4pi_cm2`` of :class:`escapade.galaxy.gas3d.model.SurveyGas3D`) and the column of the
unconstrained HI model (its ``model_hi_column_cm2``), whose ratio to
HI4PI is the survey factor 1 / f of each sight line.
"""

from __future__ import annotations

import numpy as np

from .compare import regrid
from .geometry import Geometry
from .los3d import gas_kernel, has_3d_face, kernel_maps

__all__ = ["gas_column_maps"]


def gas_column_maps(gas, geom: Geometry, nside: int = 64) -> dict[str, np.ndarray]:
    """Full-sky column maps (HEALPix RING, Galactic, H atoms cm^-2) of a 3D gas.

    Keys: ``HI`` (survey-constrained), ``H2`` (2 N_H2), ``HII``, ``dark`` (with dark gas),
    ``total`` (their sum), ``HI4PI`` (the survey) and ``HI_model`` (the unconstrained HI
    disc along each pixel centre of the survey's grid).
    """
    if not has_3d_face(gas):
        raise ValueError(
            f"gas model {type(gas).__name__} has no 3D face; allowed: [gas] model = 'survey3d'"
        )
    kernel = gas_kernel(gas, geom)
    ones = np.ones((kernel.r_axis.size, kernel.z_axis.size))
    out = {p: v[:, 0] for p, v in kernel_maps(kernel, ones, nside).items()}
    out["total"] = sum(out.values())
    out["HI4PI"] = regrid(gas.hi4pi_cm2, nside)
    out["HI_model"] = regrid(gas.model_hi_column_cm2, nside)
    return out

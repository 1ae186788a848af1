"""The sections of a run configuration that only the 3D engine reads: ``[transport]`` and
``[field]`` (docs/galaxy3d.md).

The 3D engine (issue 17) solves on a Cartesian (x, y, z) grid with the full diffusion tensor
D_ij = D_perp (delta_ij - b_i b_j) + D_par b_i b_j along the unit vector b of the regular
magnetic field; ``[field]`` names that field (:mod:`escapade.galaxy.magnetic_field`).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .sections import _Section

__all__ = [
    "FIELD_MODELS",
    "ARM_MODELS",
    "PITCH_ANGLE_MAX_DEG",
    "PARALLEL_RATIO_MAX_3D",
    "TransportConfig",
    "FieldConfig",
]

FIELD_MODELS = ("log_spiral", "pshirkov2011_ass", "pshirkov2011_bss", "jansson_farrar2012_disc")
"""Names of the regular-field models (:data:`escapade.galaxy.magnetic_field.FIELD_MODELS`)."""
ARM_MODELS = ("none", "faucher_giguere_kaspi2006")
"""Names of the spiral-arm source modulations (:data:`escapade.galaxy.arms.ARM_MODELS`)."""
PITCH_ANGLE_MAX_DEG = 80.0
"""Largest pitch angle accepted. A logarithmic spiral R = R0 exp(phi tan p) needs p < 90 deg
(p = 90 deg is a radial field, no spiral); the Milky Way's arms and regular field have
|p| ~ 5-15 deg (Pshirkov et al. 2011, ApJ 738, 192: 5-6 deg; Jansson & Farrar 2012, ApJ 757,
14: 11.5 deg; Faucher-Giguere & Kaspi 2006, ApJ 643, 332: arctan(1/4.25) = 13.2 deg), so 80 deg
leaves every physical case open while keeping tan p finite (tan 80 deg = 5.7)."""
PARALLEL_RATIO_MAX_3D = 1.0e3
"""Largest ``diffusion.parallel_ratio`` (D_par / D_perp at the Sun at the reference rigidity)
the 3D engine accepts: D_perp / D_par >= 1e-3, the smallest ratio at which issue 17 asks the
numerical perpendicular leak of the anisotropic scheme (Sharma & Hammett 2007, J. Comput.
Phys. 227, 123) to be measured and kept below the physical D_perp."""


class TransportConfig(_Section):
    """Which transport engine solves the run: the 2D (R, z) engine of the letter, or the 3D
    (x, y, z) engine with the anisotropic diffusion tensor (docs/galaxy3d.md)."""

    geometry: Literal["2d", "3d"] = Field(
        "2d",
        description="'2d': axisymmetric (R, z), scalar D (the letter); '3d': Cartesian (x, y, z) "
        "with D_ij = D_perp (delta_ij - b_i b_j) + D_par b_i b_j along [field]",
    )


class FieldConfig(_Section):
    """Direction of the regular magnetic field for the 3D diffusion tensor
    (:mod:`escapade.galaxy.magnetic_field`; only the direction b = B / |B| enters).

    Sign convention: a positive pitch angle is a trailing spiral, the sense of the Milky Way's
    arms (the field line moves outward as it is followed against the Galaxy's rotation; in the
    package's frame, :mod:`escapade.galaxy.gas3d.survey`, l = 90 deg is at +y and the rotation
    points to +phi). Pshirkov et al. 2011 quote p = -5 deg (ASS) and -6 deg (BSS) with their
    azimuth along the rotation: the same spirals as +5 and +6 deg here.
    """

    model: Literal[
        "log_spiral", "pshirkov2011_ass", "pshirkov2011_bss", "jansson_farrar2012_disc"
    ] = Field(
        "log_spiral",
        description="regular field: 'log_spiral' (b = cos p phi_hat - sin p R_hat, along the "
        "rotation, pitch p = pitch_angle_deg), "
        "'pshirkov2011_ass' / 'pshirkov2011_bss' (Pshirkov et al. 2011, ApJ 738, 192, Table 3: "
        "disc + antisymmetric halo), 'jansson_farrar2012_disc' (Jansson & Farrar 2012, ApJ 757, "
        "14, Table 1: the disc's eight spiral regions, molecular ring and toroidal halo)",
    )
    pitch_angle_deg: float | None = Field(
        None,
        description="pitch angle p of the spiral (0 = purely azimuthal, > 0 trailing, < 80); "
        "not written: 0 for log_spiral (the letter's azimuthal field), the paper's value for a "
        "published model (Pshirkov+ 2011: 5 deg ASS, 6 deg BSS; Jansson & Farrar 2012: 11.5)",
    )
    halo: bool = Field(
        True,
        description="published models: include their halo field (Pshirkov+ 2011 antisymmetric "
        "toroidal halo; Jansson & Farrar 2012 toroidal halo); false: the disc field alone",
    )

    @field_validator("pitch_angle_deg")
    @classmethod
    def _pitch(cls, v: float | None) -> float | None:
        if v is not None and not (0.0 <= v <= PITCH_ANGLE_MAX_DEG and math.isfinite(v)):
            raise ValueError(
                f"must be in [0, {PITCH_ANGLE_MAX_DEG:g}] deg (0 = azimuthal, > 0 a trailing "
                "spiral like the Galaxy's arms; 90 would be a radial field, not a spiral)"
            )
        return v

    @model_validator(mode="after")
    def _published_need_a_pitch(self):
        if self.model != "log_spiral" and self.pitch_angle_deg == 0.0:
            raise ValueError(
                f"{self._shown('pitch_angle_deg')} with {self._shown('model')}: a published "
                "model's field lines are spirals (their pattern needs 1 / tan p); give a pitch "
                "in (0, 80] deg, leave the key out for the paper's value, or use log_spiral"
            )
        return self

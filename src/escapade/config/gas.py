"""The ``[gas]`` section of a run configuration: the gas model and its survey options
(:mod:`escapade.galaxy.gas`, :mod:`escapade.galaxy.gas3d`; docs/gamma.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .sections import _Section

__all__ = ["SURVEY3D_KEYS", "GasConfig"]

SURVEY3D_KEYS = (
    "dark_gas",
    "hi_survey_constraint",
    "hi_flare",
    "hi_warp",
    "dust_map",
    "dust_to_gas_cm2_mag",
)
"""The keys that only ``model = "survey3d"`` reads: set under another model they are an error."""


class GasConfig(_Section):
    """Interstellar gas (see :mod:`escapade.galaxy.gas`)."""

    enabled: bool = Field(True, description="false: no gas at all (no collisions, no losses)")
    model: Literal["galprop_analytic", "survey3d"] = Field(
        "galprop_analytic",
        description="HI, H2, HII model: 'galprop_analytic' (axisymmetric, GALPROP) or 'survey3d' "
        "(Pohl et al. 2008 H2, 3D HI held to HI4PI sight line by sight line, analytic HII; "
        "docs/gamma.md)",
    )
    dark_gas: bool = Field(
        False, description="survey3d: add dark neutral gas from the E(B-V) residual (counted as HI)"
    )
    hi_survey_constraint: bool = Field(
        True,
        description="survey3d: hold the HI to the HI4PI column sight line by sight line; false: "
        "the 3D HI disc as modelled (the unconstrained 3D gas of the sensitivity table)",
    )
    hi_flare: bool = Field(True, description="survey3d: observed HI flare (Dedes et al. 2005)")
    hi_warp: bool = Field(True, description="survey3d: m=1 HI warp (Levine et al. 2006 form)")
    dust_map: Literal["planck13", "sfd98"] = Field(
        "sfd98", description="survey3d dark gas: E(B-V) map, SFD98 or Planck 2013 (docs/gamma.md)"
    )
    dust_to_gas_cm2_mag: float | Literal["calibrated"] = Field(
        "calibrated",
        description="survey3d dark gas: N_H / E(B-V) in cm^-2 mag^-1, or 'calibrated' (HI4PI over "
        "the dust map where N_HI < 4e20, Lenz et al. 2017)",
    )
    x_co: float | Literal["strong2004"] = Field(
        1.9e20, description="X_CO in cm^-2 (K km/s)^-1, or 'strong2004' (radially varying)"
    )
    he_to_h: float = Field(0.1, ge=0.0, le=1.0, description="He/H number ratio")

    @field_validator("x_co", "dust_to_gas_cm2_mag")
    @classmethod
    def _positive_column_ratio(cls, v, info):
        if isinstance(v, float) and not (0 < v < 1e23):
            x_co = info.field_name == "x_co"
            word, unit = ("'strong2004'", "(K km/s)^-1") if x_co else ("'calibrated'", "mag^-1")
            raise ValueError(f"must be {word} or positive and below 1e23 cm^-2 {unit}")
        return v

    @model_validator(mode="after")
    def _survey_options(self):
        if self.model == "survey3d":
            return self
        for key in SURVEY3D_KEYS:
            if getattr(self, key) != type(self).model_fields[key].default:
                raise ValueError(
                    f"{self._shown(key)} needs model = 'survey3d' (the survey-constrained gas); "
                    f"got {self._shown('model')}"
                )
        return self

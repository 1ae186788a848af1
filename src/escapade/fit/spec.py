"""What to fit, as a validated value: the settings of :func:`escapade.fit.fit` in one object.

The command line (``escapade fit``, ``escapade scan --fit``) builds a :class:`FitSpec`
from its options and hands it to the library; scan workers receive the spec, never
command-line words::

    spec = FitSpec(data=["B/C:AMS-02"], free=["diffusion.d0_cm2_s", "modulation.phi_gv"])
    res = escapade.fit.fit(cfg, **spec.kwargs())

Every field is a keyword argument of :func:`escapade.fit.fit` with the same name, meaning
and default (see its docstring for the physics of each choice).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .likelihood import SYST_MODES

DEFAULT_PHI_GV = 0.6
"""Force-field potential used when ``modulation.phi_gv`` is neither free nor fixed [GV]."""
METHODS = ("linearised", "migrad")
"""Minimisers: the linearised model (few solves) or MIGRAD on the exact chi2."""


class FitSpec(BaseModel):
    """The data, the free parameters and the minimiser settings of one fit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: list[str] = Field(description="measurement names (B/C:AMS-02) or CSV paths")
    free: list[str] = Field(default_factory=list, description="free parameter names")
    bounds: dict[str, tuple[float | None, float | None]] = Field(default_factory=dict)
    priors: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="name -> (mean, sigma) of a Gaussian prior"
    )
    fix: dict[str, Any] = Field(default_factory=dict, description="name -> value set first")
    start: dict[str, Any] = Field(default_factory=dict, description="name -> start value")
    rmin_gv: float | None = Field(5.0, description="lowest rigidity of the fitted points [GV]")
    rmax_gv: float | None = Field(None, description="highest rigidity of the fitted points [GV]")
    syst: str = Field("quadrature", description="systematics: " + ", ".join(SYST_MODES))
    phi_gv: float = Field(DEFAULT_PHI_GV, description="phi when neither free nor fixed [GV]")
    minos: bool = False
    method: str = Field("linearised", description="minimiser: " + ", ".join(METHODS))
    strategy: int = 1
    tolerance: float = 0.1
    max_iterations: int = 12

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`escapade.fit.fit` (copies, safe to modify)."""
        return self.model_dump()

"""What to sample, as a validated value: the settings of :func:`escapade.inference.sampler.infer`.

The command line (``escapade infer``) builds an :class:`InferSpec` from its options and
hands it to the library; dask workers receive the spec, never command-line words::

    spec = InferSpec(data=["B/C:HEAO-3"], free=["diffusion.d0_cm2_s"], walkers=8, steps=40)
    res = escapade.inference.infer(cfg, output="post/", **spec.kwargs())

The data selection (``data``, ``rmin_gv``, ``rmax_gv``), ``syst``, ``fix``, ``start`` and
``phi_gv`` mean what they mean in :class:`escapade.fit.spec.FitSpec`: the posterior's likelihood
is the fit's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..fit.likelihood import SYST_MODES
from ..fit.spec import DEFAULT_PHI_GV
from .priors import parse_prior

INITS = ("fit", "config")
"""Where the walkers start: a small ball around the fit's minimum, or around the config."""

MOVES = ("stretch", "de")
"""emcee's proposal: ``stretch``, the affine-invariant stretch move (Goodman & Weare 2010,
Comm. App. Math. Comp. Sci. 5, 65; Foreman-Mackey et al. 2013, PASP 125, 306), or ``de``,
differential evolution (ter Braak 2006, Stat. Comput. 16, 239) mixed 4:1 with its snooker
update (ter Braak & Vrugt 2008, Stat. Comput. 18, 435), which mixes faster along correlated
and prior-bounded directions."""


class InferSpec(BaseModel):
    """The data, the free parameters with their priors and the sampler settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: list[str] = Field(description="measurement names (B/C:HEAO-3) or CSV paths")
    free: list[str] = Field(default_factory=list, description="free parameter names")
    bounds: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="name -> (LO, HI): a uniform prior"
    )
    priors: dict[str, str] = Field(
        default_factory=dict,
        description="name -> uniform:LO:HI, loguniform:LO:HI, gauss:MEAN:SIGMA or MEAN+-SIGMA",
    )
    fix: dict[str, Any] = Field(default_factory=dict, description="name -> value set first")
    start: dict[str, Any] = Field(default_factory=dict, description="name -> start value")
    rmin_gv: float | None = Field(5.0, description="lowest rigidity of the data points [GV]")
    rmax_gv: float | None = Field(None, description="highest rigidity of the data points [GV]")
    syst: str = Field("quadrature", description="systematics: " + ", ".join(SYST_MODES))
    phi_gv: float = Field(DEFAULT_PHI_GV, description="phi when neither free nor fixed [GV]")
    walkers: int = Field(32, description="emcee walkers (>= 2 x the free parameters)")
    steps: int = Field(1000, description="steps of every walker")
    seed: int = Field(0, description="seed of the starting ball and of the sampler")
    init: str = Field("fit", description="walkers start around: " + ", ".join(INITS))
    move: str = Field("stretch", description="emcee proposal: " + ", ".join(MOVES))
    ball: float = Field(0.1, description="starting ball radius in errors (fit) or steps")
    burn: int | None = Field(None, description="steps dropped from the summary (None: 1/4)")
    draws: int = Field(20, description="posterior draws solved for the predictive figure")

    @field_validator("priors")
    @classmethod
    def _priors_parse(cls, v: dict[str, str]) -> dict[str, str]:
        for key, text in v.items():
            parse_prior(key, text)
        return v

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`escapade.inference.sampler.infer` (copies)."""
        return self.model_dump()

"""Priors of the free parameters: uniform, log-uniform and Gaussian, in natural units.

Spelled as in ``escapade infer --prior`` (and ``priors=`` of
:func:`escapade.inference.sampler.infer`):

* ``uniform:LO:HI`` -- flat in the value on [LO, HI];
* ``loguniform:LO:HI`` -- flat in log(value) on [LO, HI] (0 < LO < HI);
* ``gauss:MEAN:SIGMA`` or ``MEAN+-SIGMA`` (the spelling of ``escapade fit --prior``) --
  a Gaussian, truncated to the key's allowed range.

A free key without a prior gets a uniform prior on its ``--free KEY:LO:HI`` bounds; without
bounds, a log-uniform prior over a factor of 10 either side of its start value for keys
fitted as log10 (D0, abundances, break rigidities), a uniform prior on the config's own
limits when both are finite (delta, tau), and a uniform prior on
[max(0, 1 - 10 sigma_s), 1 + 10 sigma_s] for a data-set normalisation (``syst = "fit"``;
its Gaussian penalty is already in the chi2). Any other key needs bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..fit.parameters import FitError, Parameter

KINDS = ("uniform", "loguniform", "gauss")
"""The prior families."""


class InferError(FitError):
    """Bad inference input (a prior, a sampler setting): one line naming the option."""


@dataclass(frozen=True)
class Prior:
    """One parameter's prior: ``kind`` in ``KINDS`` and its two numbers (LO, HI or
    MEAN, SIGMA)."""

    kind: str
    a: float
    b: float

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InferError(f"prior kind {self.kind!r}: allowed {', '.join(KINDS)}")

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.a:.6g}:{self.b:.6g}"

    def support(self) -> tuple[float, float]:
        if self.kind == "gauss":
            return -math.inf, math.inf
        return self.a, self.b

    def log_pdf(self, x: float) -> float:
        """The log density at ``x`` (-inf outside the support), normalised."""
        if self.kind == "gauss":
            z = (x - self.a) / self.b
            return -0.5 * z * z - math.log(self.b * math.sqrt(2.0 * math.pi))
        if not self.a <= x <= self.b:
            return -math.inf
        if self.kind == "uniform":
            return -math.log(self.b - self.a)
        return -math.log(x) - math.log(math.log(self.b / self.a))

    def draw_width(self) -> float:
        """A natural spread of the prior (for a starting ball when nothing better is known)."""
        if self.kind == "gauss":
            return self.b
        if self.kind == "uniform":
            return (self.b - self.a) / math.sqrt(12.0)
        mid = math.sqrt(self.a * self.b)
        return mid * math.log(self.b / self.a) / math.sqrt(12.0)


def parse_prior(key: str, text: str) -> Prior:
    """A prior from its text (``uniform:LO:HI``, ``loguniform:LO:HI``, ``gauss:MEAN:SIGMA``,
    ``MEAN+-SIGMA``); an :class:`InferError` naming the key otherwise."""
    text = text.strip()
    allowed = "uniform:LO:HI, loguniform:LO:HI, gauss:MEAN:SIGMA or MEAN+-SIGMA"
    if "+-" in text:
        kind, (a, b) = "gauss", text.split("+-", 1)
    else:
        parts = text.split(":")
        if len(parts) != 3 or parts[0].lower() not in (*KINDS, "gaussian", "normal"):
            raise InferError(f"prior {key}={text!r}: expected {allowed}")
        kind, a, b = parts[0].lower(), parts[1], parts[2]
        kind = "gauss" if kind in ("gaussian", "normal") else kind
    try:
        lo, hi = float(a), float(b)
    except ValueError:
        raise InferError(f"prior {key}={text!r}: the two values must be numbers") from None
    return make_prior(key, kind, lo, hi)


def make_prior(key: str, kind: str, a: float, b: float) -> Prior:
    """A checked prior: finite numbers, LO < HI, LO > 0 for log-uniform, SIGMA > 0."""
    if kind not in KINDS:
        raise InferError(f"prior {key}: kind {kind!r}: allowed {', '.join(KINDS)}")
    if not (math.isfinite(a) and math.isfinite(b)):
        raise InferError(f"prior {key}={kind}:{a:g}:{b:g}: the values must be finite")
    if kind == "gauss" and not b > 0:
        raise InferError(f"prior {key}={kind}:{a:g}:{b:g}: sigma must be > 0")
    if kind != "gauss" and not a < b:
        raise InferError(f"prior {key}={kind}:{a:g}:{b:g}: LO must be smaller than HI")
    if kind == "loguniform" and not a > 0:
        raise InferError(f"prior {key}={kind}:{a:g}:{b:g}: a log-uniform prior needs LO > 0")
    return Prior(kind, float(a), float(b))


def _limits_text(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "any value"
    if hi is None:
        return f">= {lo:g}"
    if lo is None:
        return f"<= {hi:g}"
    return f"[{lo:g}, {hi:g}]"


def check_in_limits(p: Parameter, prior: Prior) -> None:
    """An :class:`InferError` when the prior reaches outside the key's allowed range."""
    lo, hi = p.lower, p.upper
    if p.log and lo is None:
        lo = 0.0
    a, b = prior.support() if prior.kind != "gauss" else (prior.a, prior.a)
    if (lo is not None and a < lo) or (hi is not None and b > hi):
        raise InferError(
            f"prior {p.name}={prior.text}: outside the allowed range of {p.name} "
            f"({_limits_text(lo, hi)})"
        )


def default_prior(p: Parameter, syst_rel: float | None = None) -> Prior:
    """The prior of a free parameter given neither a prior nor bounds (module docstring)."""
    if p.kind == "norm":
        w = 10.0 * (syst_rel or 0.05)
        return Prior("uniform", max(0.0, 1.0 - w), 1.0 + w)
    if p.log and p.start > 0:
        lo, hi = p.start / 10.0, p.start * 10.0
        if p.lower is not None:
            lo = max(lo, p.lower)
        if p.upper is not None:
            hi = min(hi, p.upper)
        return Prior("loguniform", lo, hi)
    if p.lower is not None and p.upper is not None:
        return Prior("uniform", p.lower, p.upper)
    raise InferError(
        f"--free {p.name}: give its prior range, --free {p.name}:LO:HI (allowed "
        f"{_limits_text(p.lower, p.upper)}) or --prior {p.name}=..."
    )

"""The log posterior: the fit's chi2 (the same :class:`~escapade.fit.problem.FitProblem`
that ``escapade fit`` builds: data selection, systematics, normalisations, phi) as
log L = -chi2 / 2, plus the log prior of every free parameter.

A :class:`LogPosterior` is a value that travels to dask workers: it holds the config, the
data tables (already restricted to the model's energy grid) and the settings; each process
builds its fit problem (and model) once, on its first evaluation, and keeps it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..fit.parameters import BAD_CHI2, FitError
from ..fit.problem import FitProblem
from .priors import Prior

log = logging.getLogger("escapade.inference")
_MODEL_LOG = logging.getLogger("escapade.model")


@contextlib.contextmanager
def _model_lines_at_debug():
    """The model's per-solve INFO lines (two per walker) hidden during a chain unless DEBUG
    is on (``escapade infer -v``); the chain's own line per step says how it goes."""
    level = _MODEL_LOG.level
    if not _MODEL_LOG.isEnabledFor(logging.DEBUG):
        _MODEL_LOG.setLevel(logging.WARNING)
    try:
        yield
    finally:
        _MODEL_LOG.setLevel(level)


_PROBLEMS: OrderedDict[str, FitProblem] = OrderedDict()
"""The fit problems (each with its model and cached solves) of the posteriors this process
evaluated last, by token, most recent last; at most :data:`KEEP_PROBLEMS`."""
KEEP_PROBLEMS = 2
"""Fit problems kept per process: a process that runs many posteriors one after another
(a coverage study) would otherwise keep every model (~2 GB each on the letter's grid)."""


def forget_problems() -> None:
    """Drop the fit problems (models, cached solves) this process keeps for its posteriors
    (a coverage study that runs many in one process calls it between them)."""
    _PROBLEMS.clear()


def _keep(token: str, problem: FitProblem) -> None:
    """Remember ``problem`` under ``token``, forgetting the least recently used beyond
    :data:`KEEP_PROBLEMS`."""
    _PROBLEMS[token] = problem
    _PROBLEMS.move_to_end(token)
    while len(_PROBLEMS) > KEEP_PROBLEMS:
        _PROBLEMS.popitem(last=False)


def build_problem(cfg, measurements, settings: dict[str, Any], model=None) -> FitProblem:
    """The fit problem of ``escapade fit`` with the same settings, without bounds or priors
    (the posterior applies its own), its per-solve lines at DEBUG."""
    pb = FitProblem(
        cfg,
        measurements,
        list(settings["free"]),
        {},
        dict(settings["fix"]),
        dict(settings["start"]),
        settings["rmin_gv"],
        settings["rmax_gv"],
        settings["syst"],
        float(settings["phi_gv"]),
        {},
        model,
        None,
        None,
    )
    pb.report = lambda line: log.debug("%s", line)  # type: ignore[method-assign]
    return pb


class LogPosterior:
    """``posterior(x) -> (log posterior, chi2)`` at natural parameter values ``x``."""

    def __init__(
        self,
        cfg,
        measurements: Sequence,
        settings: dict[str, Any],
        names: Sequence[str],
        priors: Sequence[Prior],
        problem: FitProblem,
    ):
        from ..config import dump_config

        self.cfg = cfg
        self.measurements = list(measurements)
        self.settings = dict(settings)
        self.names = list(names)
        self.priors = list(priors)
        self.species_needed = problem.species_needed
        self.terms = list(problem.like.terms)  # restricted to the model's energy grid
        blob = json.dumps(
            [dump_config(cfg), [m.name for m in self.measurements], self.settings, self.names],
            sort_keys=True,
            default=str,
        )
        self.token = hashlib.sha256(blob.encode()).hexdigest()[:20]
        _keep(self.token, problem)

    def problem(self) -> FitProblem:
        pb = _PROBLEMS.get(self.token)
        if pb is None:
            pb = build_problem(self.cfg, self.measurements, self.settings)
            pb.species_needed = self.species_needed
            pb.like.terms = list(self.terms)
        _keep(self.token, pb)
        return pb

    def log_prior(self, x) -> float:
        pb = self.problem()
        total = 0.0
        for p, prior, v in zip(pb.params, self.priors, x, strict=True):
            v = float(v)
            if not math.isfinite(v) or (p.log and v <= 0):
                return -math.inf
            if (p.lower is not None and v < p.lower) or (p.upper is not None and v > p.upper):
                return -math.inf
            total += prior.log_pdf(v)
        return total

    def internal(self, x) -> np.ndarray:
        pb = self.problem()
        return np.array([p.to_internal(float(v)) for p, v in zip(pb.params, x, strict=True)])

    def predictions(self, x) -> list[np.ndarray]:
        """The model at the fitted points of every data set at ``x`` (times the data set's
        normalisation with ``syst = "profile"`` or ``"fit"``), as the chi2 sees it."""
        pb = self.problem()
        u = self.internal(x)
        with _model_lines_at_debug():
            ds, _ = pb.solution(u, reason="draw")
        preds = pb.predictions(ds, u)
        _, _, norms = pb.like.evaluate(preds, pb.norms(u))
        if len(pb.cache) > 4:
            pb.cache.clear()
        return [p * (1.0 if s is None else s) for p, s in zip(preds, norms, strict=True)]

    def chi2(self, x) -> float:
        """The fit's chi2 at natural values ``x`` (one solve unless only cheap keys moved)."""
        pb = self.problem()
        u = self.internal(x)
        try:
            with _model_lines_at_debug():
                ds, _ = pb.solution(u, reason="walker")
        except FitError:  # the point is an invalid configuration
            return math.inf
        c = pb.chi2_of(ds, u)
        if len(pb.cache) > 4:  # a chain never comes back to a point: keep memory flat
            pb.cache.clear()
        return math.inf if c >= BAD_CHI2 else float(c)

    stopped: BaseException | None = None
    """A Ctrl-C or SIGTERM caught during a step: the sampler's loop raises it after the step
    (whose values are then discarded), so emcee does not print it as a likelihood failure."""

    def __call__(self, x) -> tuple[float, float]:
        if self.stopped is not None:
            return -math.inf, math.nan
        try:
            lp = self.log_prior(x)
            if not math.isfinite(lp):
                return -math.inf, math.nan
            c = self.chi2(x)
        except (KeyboardInterrupt, SystemExit) as exc:
            self.stopped = exc
            return -math.inf, math.nan
        if not math.isfinite(c):
            return -math.inf, math.nan
        return lp - 0.5 * c, c

    def raise_if_stopped(self) -> None:
        if self.stopped is not None:
            exc, self.stopped = self.stopped, None
            raise exc

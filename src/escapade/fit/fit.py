"""Fitting propagation parameters to measured data with iminuit (MIGRAD, HESSE, MINOS)::

    from escapade.fit import fit
    res = fit("configs/letter_tau0.85_fast.toml", data=["B/C:AMS-02"],
              free=["diffusion.d0_cm2_s", "modulation.phi_gv"])
    res.values["diffusion.d0_cm2_s"], res.errors["diffusion.d0_cm2_s"], res.chi2, res.ndof
    res.config                      # the best-fit escapade.Config
    res.write("fit/")               # best_fit.toml, fit.json (+ figure=plots.fit_figure(res))

Parameters
----------
Any numeric config key (dotted, as in :func:`escapade.with_updates`) can be free, plus

* ``species.abundances.ISOTOPE`` (``species.abundances.4He``) and
  ``species.abundances.ELEMENT`` (``species.abundances.C``: the element's total source
  abundance, its isotopes keeping their proportions of the start config);
* ``source.index_overrides.ISOTOPE``; ``source.break_rigidities_gv.I``,
  ``source.break_indices.I`` (item I of the list, which must exist in the config);
* ``modulation.phi_gv``: the force-field potential in GV (default 0.6), not a config key;
  ``modulation.phi_gv[SEL]`` is a potential of its own for the data sets named by SEL (a data
  set name such as ``B/C:HEAO-3``, or an experiment: ``HEAO-3``);
* ``norm[NAME]``: the normalisation of data set NAME (added for every data set with
  ``syst="fit"``).

Positive scale parameters (D0, abundances, the flux normalisation, break rigidities) are
fitted internally as log10 of the value. Default limits come from the config's own
constraints (delta in [0, 1.5], ...); phi >= 0.

Cheap evaluations
-----------------
Only the parameters that change the transport solution need a solve: phi and the data-set
normalisations act on the output, ``source.norm_flux_m2_s_sr_gev`` only scales every flux.
Solutions are cached by the solve-relevant configuration, and one
:class:`~escapade.model.Model` is reused through :meth:`Model.updated` (grid, gas, network and
factorisations are kept).

Two methods:

``method="linearised"`` (default)
    MIGRAD and HESSE run on the model linearised in the solve parameters: the interstellar
    flux of every species at every energy, log F(u), is taken linear in the internal
    parameters u around the last solved point (derivatives by finite differences at the start,
    then secant (Broyden) updates from the solves made); modulation, normalisations and the
    chi2 are evaluated exactly at every call. After every MIGRAD the model is solved at the
    new minimum, and the fit stops when MIGRAD's step in every solve parameter is below
    ``tolerance`` (default 0.1) times its error. The result is a solved point; its chi2 is the
    exact one. This needs 1 + (number of free solve parameters) + (a few) solves.
``method="migrad"``
    MIGRAD, HESSE (and MINOS) directly on the exact chi2: every new value of a solve
    parameter is a solve (typically 15-40 for one parameter). The reference the linearised
    method is checked against (``tests/test_fit.py``, ``docs/fits.md``).
"""

from __future__ import annotations

import functools
import logging
import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..measurements import Measurement, load_measurement
from .likelihood import SYST_MODES
from .minimise import run_linearised, run_migrad
from .parameters import PHI_KEY, FitError, check_parameter_name, parameter_choices
from .problem import FitProblem, log
from .result import FitResult
from .smooth import model_values, smooth_flux
from .spec import DEFAULT_PHI_GV, METHODS

__all__ = [
    "DEFAULT_PHI_GV",
    "METHODS",
    "PHI_KEY",
    "FitError",
    "FitResult",
    "check_parameter_name",
    "fit",
    "model_values",
    "parameter_choices",
    "smooth_flux",
]


# -------------------------------------------------------------------------------- fit()


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [v.strip() for v in x.split(",") if v.strip()]
    out = []
    for v in x:
        out.extend(_as_list(v) if isinstance(v, str) else [v])
    return out


def _progress_lines_on_stderr(fn: Callable[..., FitResult]) -> Callable[..., FitResult]:
    """``fit(..., progress=True)``: the fit's progress lines on stderr (``escapade fit: ...``)
    for this call, unless logging already shows this module's INFO records."""

    @functools.wraps(fn)
    def wrapper(*args: Any, progress: Any = None, **kwargs: Any) -> FitResult:
        if progress is not True or (log.isEnabledFor(logging.INFO) and log.hasHandlers()):
            return fn(*args, progress=progress if callable(progress) else None, **kwargs)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("escapade fit: %(message)s"))
        level, propagate = log.level, log.propagate
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        try:
            return fn(*args, progress=None, **kwargs)
        finally:
            log.removeHandler(handler)
            log.setLevel(level)
            log.propagate = propagate

    return wrapper


def _check_settings(method, syst, strategy, rmin_gv, rmax_gv, phi_gv) -> None:
    """A FitError (one line naming the setting) for a setting outside what is allowed."""
    if method not in METHODS:
        raise FitError(f"method = {method!r}: allowed {', '.join(METHODS)}")
    if syst not in SYST_MODES:
        raise FitError(f"syst = {syst!r}: allowed {', '.join(SYST_MODES)}")
    if strategy not in (0, 1, 2):
        raise FitError(f"strategy = {strategy!r}: allowed 0, 1, 2")
    for name, v in (("rmin_gv", rmin_gv), ("rmax_gv", rmax_gv)):
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise FitError(f"{name} = {v!r}: give a rigidity >= 0 in GV")
    if not (math.isfinite(phi_gv) and phi_gv >= 0):
        raise FitError(f"phi_gv = {phi_gv!r}: give a potential >= 0 in GV")


@_progress_lines_on_stderr
def fit(
    cfg,
    data=None,
    free=None,
    *,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    fix: Mapping[str, Any] | None = None,
    start: Mapping[str, Any] | None = None,
    rmin_gv: float | None = 5.0,
    rmax_gv: float | None = None,
    syst: str = "quadrature",
    phi_gv: float = DEFAULT_PHI_GV,
    minos: bool = False,
    method: str = "linearised",
    strategy: int = 1,
    tolerance: float = 0.1,
    max_iterations: int = 12,
    steps: Mapping[str, float] | None = None,
    model=None,
    progress: Callable[[str], None] | bool | None = None,
    priors: Mapping[str, tuple[float, float]] | None = None,
) -> FitResult:
    """Fit free parameters of ``cfg`` to measured data; returns a :class:`FitResult`.

    Parameters
    ----------
    cfg : a :class:`~escapade.config.Config` or the path of a TOML file.
    data : measurement names (``"B/C:AMS-02"``), CSV paths or
        :class:`~escapade.measurements.Measurement` objects. The settings below can also come
        from a :class:`~escapade.fit.spec.FitSpec`: ``fit(cfg, **spec.kwargs())``.
    free : parameter names (a list or one comma-separated string); see the module docstring.
    bounds : name -> (lower, upper) in natural units (None: no bound on that side).
    fix : name -> value set before the fit (config keys, list/dict items, phi, norm[...]).
    start : name -> start value (same as ``fix`` for config keys; the start of phi).
    rmin_gv, rmax_gv : rigidity range of the fitted points (None: no cut).
    syst : "quadrature" (default), "profile" or "fit" (see :mod:`escapade.fit.likelihood`).
    phi_gv : the force-field potential when ``modulation.phi_gv`` is neither free nor fixed.
    minos : also run MINOS.
    method : "linearised" (default, few solves) or "migrad" (MIGRAD on the exact chi2).
    strategy : MINUIT strategy (0, 1, 2).
    tolerance : linearised method: stop when MIGRAD's step in every solve parameter is below
        this many errors.
    max_iterations : linearised method: at most this many MIGRAD runs (and solves).
    steps : name -> initial step (internal units: log10 for log parameters).
    model : an existing :class:`~escapade.model.Model` to reuse (through ``updated``).
    progress : a callable taking a line of text after every solve, or True (those lines on
        stderr). The same lines are logged at INFO on the ``escapade.fit`` logger.
    priors : name -> (mean, sigma): a Gaussian prior on a free parameter, in natural units
        (``{"modulation.phi_gv": (0.6, 0.1)}``); adds ((value - mean) / sigma)^2 to the chi2
        and counts as one measurement in ndof.
    """
    t0 = time.perf_counter()
    from ..config import Config, load_config

    if not isinstance(cfg, Config):
        cfg = load_config(cfg)
    _check_settings(method, syst, strategy, rmin_gv, rmax_gv, phi_gv)
    names = _as_list(data)
    if not names:
        raise FitError("no data to fit: give at least one data set, e.g. B/C:AMS-02")
    meas = [m if isinstance(m, Measurement) else load_measurement(str(m)) for m in names]
    free_names = [str(v) for v in _as_list(free)]
    pb = FitProblem(
        cfg,
        meas,
        free_names,
        dict(bounds or {}),
        dict(fix or {}),
        dict(start or {}),
        rmin_gv,
        rmax_gv,
        syst,
        float(phi_gv),
        dict(steps or {}),
        model,
        progress,
        priors,
    )
    if method == "migrad":
        ds0, _ = pb.solution(pb.u0, reason="start")
        pb.restrict_to_grid(ds0)
        m, u, valid, message, mm = run_migrad(pb, strategy, minos)
    else:
        m, u, valid, message, mm = run_linearised(pb, strategy, minos, tolerance, max_iterations)
    if not valid and not message:
        message = "MIGRAD did not converge (EDM above its target, or a limit reached)"
    settings = dict(
        method=method,
        rmin_gv=rmin_gv,
        rmax_gv=rmax_gv,
        syst=syst,
        strategy=strategy,
        tolerance=tolerance,
        data=[x.name for x in meas],
        priors={pb.params[j].name: [m, s] for j, m, s in pb.priors},
    )
    return _result(pb, m, u, valid, message, method, mm, t0, settings)


def _result(pb: FitProblem, m, u, valid, message, method, mm, t0, settings) -> FitResult:
    from scipy.stats import chi2 as chi2_dist

    ds, _ = pb.solution(u, reason="best fit", complete=True)
    preds = pb.predictions(ds, u)
    total, per, norms = pb.like.evaluate(preds, pb.norms(u))
    prior_chi2 = pb.prior_chi2(u)
    total += prior_chi2
    pb.n_chi2 += 1
    phis = pb.phis(u)
    values, errors, log10, minos_err = _natural_values(pb, m, mm, u)
    corr, cov = _correlation_covariance(pb, m, values)
    n_phys = sum(1 for p in pb.params if p.kind != "norm")
    ndof = pb.like.n_points + len(pb.priors) - n_phys  # a prior counts as one measurement
    pval = float(chi2_dist.sf(total, ndof)) if ndof > 0 else math.nan
    terms = _term_records(pb, per, phis, norms)
    prior_terms = _prior_records(pb, u)
    message = _with_limit_note(message, pb, u, np.array(m.errors), values)
    best_cfg = pb.config_at(u)
    ds = ds.copy()
    if pb.scale_index is not None:
        ds["flux_local"] = ds["flux_local"] * pb.scale(u)
        from ..config import dump_config

        ds.attrs["config_toml"] = dump_config(best_cfg)
    return FitResult(
        parameters=[p.name for p in pb.params],
        values=values,
        errors=errors,
        minos=minos_err,
        fixed=dict(pb.fixed),
        correlation=corr,
        covariance=cov,
        chi2=float(total),
        ndof=int(ndof),
        pvalue=pval,
        terms=terms,
        config=best_cfg,
        solution=ds,
        n_solves=pb.n_solves,
        n_chi2=pb.n_chi2,
        n_cached=pb.n_cached,
        wall_s=time.perf_counter() - t0,
        valid=bool(valid),
        method=method,
        message=message,
        settings=settings,
        log10=log10,
        data_terms=pb.like.terms,
        priors=prior_terms,
    )


def _natural_values(pb: FitProblem, m, mm, u):
    """Values, HESSE errors, log-scale flags and MINOS intervals in natural units."""
    values, errors, log10, minos_err = {}, {}, {}, {}
    err_u = np.array(m.errors)
    for j, p in enumerate(pb.params):
        v = p.to_natural(u[j])
        values[p.name] = v
        errors[p.name] = v * math.log(10.0) * err_u[j] if p.log else float(err_u[j])
        log10[p.name] = p.log
    if mm is not None:
        for j, p in enumerate(pb.params):
            me = mm.merrors[p.name] if p.name in mm.merrors else None
            if me is not None and me.is_valid:
                c = mm.values[j]
                lo = p.to_natural(c + me.lower) - values[p.name]
                hi = p.to_natural(c + me.upper) - values[p.name]
                minos_err[p.name] = (float(lo), float(hi))
    return values, errors, log10, minos_err


def _correlation_covariance(pb: FitProblem, m, values) -> tuple[np.ndarray, np.ndarray]:
    """The correlation matrix and the covariance in natural units (NaN without HESSE)."""
    n = len(pb.params)
    try:
        cov_u = np.array(m.covariance)
        corr = np.array(m.covariance.correlation())
    except Exception:  # noqa: BLE001 - no covariance when HESSE failed
        cov_u = np.full((n, n), np.nan)
        corr = cov_u.copy()
    d = np.array([values[p.name] * math.log(10.0) if p.log else 1.0 for p in pb.params])
    cov = cov_u * d[:, None] * d[None, :]
    return corr, cov


def _term_records(pb: FitProblem, per, phis, norms) -> list[dict]:
    """One record per data term: its chi2, points used and excluded, phi, normalisation."""
    terms = []
    for i, t in enumerate(pb.like.terms):
        terms.append(
            dict(
                name=t.name,
                chi2=float(per[i]),
                n_points=t.n_points,
                n_excluded_below_rmin=t.n_below,
                n_excluded_above_rmax=t.n_above,
                n_excluded_other=t.n_invalid,
                phi_gv=float(phis[i]),
                norm=None if norms[i] is None else float(norms[i]),
                syst_norm_rel=t.syst_rel,
            )
        )
    return terms


def _prior_records(pb: FitProblem, u) -> list[dict]:
    """One record per Gaussian prior: its mean, sigma and chi2 at ``u``."""
    return [
        dict(
            name=pb.params[j].name,
            mean=mean,
            sigma=sigma,
            chi2=float(((pb.params[j].to_natural(u[j]) - mean) / sigma) ** 2),
        )
        for j, mean, sigma in pb.priors
    ]


def _with_limit_note(message: str, pb: FitProblem, u, err_u, values) -> str:
    """``message`` with a note naming every parameter that ended at one of its limits."""
    at_limit = []
    for j, p in enumerate(pb.params):
        lo, hi = p.internal_limits()
        tol = 1e-3 * max(float(err_u[j]), 1e-9)
        if u[j] - lo < tol or hi - u[j] < tol:
            side, lim = ("lower", lo) if u[j] - lo < tol else ("upper", hi)
            at_limit.append(
                f"{p.name} = {values[p.name]:.4g} is at its {side} limit {p.to_natural(lim):.4g}"
            )
    if at_limit:
        note = "; ".join(at_limit) + " (an error at a limit is not reliable)"
        message = f"{message}; {note}" if message else note
    return message

"""The fit problem: data terms, free parameters, cached solves and the exact chi2."""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..measurements import Measurement
from .likelihood import DataTerm, Likelihood
from .parameters import (
    BAD_CHI2,
    PHI_KEY,
    PHI_LIMITS,
    SCALE_KEY,
    ConfigEditor,
    FitError,
    Parameter,
    bracket,
    check_config_key,
    is_cheap_name,
    match_terms,
    unknown_parameter,
)
from .smooth import observable_parts, smooth_flux

log = logging.getLogger("escapade.fit")
"""The fit's progress lines (one per solve) at INFO."""

# ------------------------------------------------------------------------------ the problem


class FitProblem:
    """Parameters, data and the (cached) model of one fit."""

    def __init__(
        self,
        cfg,
        measurements: Sequence[Measurement],
        free: Sequence[str],
        bounds: Mapping[str, tuple[float | None, float | None]],
        fix: Mapping[str, Any],
        start: Mapping[str, Any],
        rmin_gv: float | None,
        rmax_gv: float | None,
        syst: str,
        phi_gv: float,
        steps: Mapping[str, float],
        model,
        progress: Callable[[str], None] | None,
        priors: Mapping[str, tuple[float, float]] | None = None,
    ):
        self.progress = progress
        self.n_solves = 0
        self.n_chi2 = 0
        self.n_cached = 0
        self.t0 = time.perf_counter()
        self.cache: dict[str, Any] = {}
        self.syst = syst

        terms = [DataTerm.build(m, rmin_gv, rmax_gv, syst) for m in measurements]
        self.like = Likelihood(terms, syst)
        free = list(dict.fromkeys(free))
        for name in free:
            if name in fix:
                raise FitError(f"{name!r} is both free and fixed")

        cheap_fix, cheap_start, updates = self._split_cheap(fix, start)
        self._configure(cfg, updates, [*free, *bounds], terms, model)
        names = self._make_params(free, terms, cheap_fix, cheap_start, phi_gv, steps)
        self._apply_bounds(bounds, names)
        self._set_priors(priors or {}, names)
        self._index_terms(terms, cheap_fix, phi_gv)
        self.species_needed: list[str] | None = None
        self.skip_antiprotons = bool(self.cfg.species.antiprotons) and not any(
            _reads_antiprotons(t.data.observable) for t in terms
        )
        self.scale_index = next((j for j, p in enumerate(self.params) if p.kind == "scale"), None)
        self.scale_ref = float(self.cfg.source.norm_flux_m2_s_sr_gev)
        self.u0 = np.array([p.to_internal(p.start) for p in self.params])
        self.solve_idx = [j for j, p in enumerate(self.params) if p.solve]
        self.fixed = dict(fix)
        if not any(p.name == PHI_KEY for p in self.params) and PHI_KEY not in self.fixed:
            self.fixed[PHI_KEY] = float(phi_gv)

    # -- set-up -------------------------------------------------------------------------
    @staticmethod
    def _split_cheap(fix, start) -> tuple[dict, dict, dict]:
        """``fix`` and ``start``: phi and normalisations (no solve) apart from config keys."""
        cheap_fix, cheap_start, updates = {}, {}, {}
        for src, cheap in ((fix, cheap_fix), (start, cheap_start)):
            for k, v in src.items():
                if is_cheap_name(k):
                    if not isinstance(v, int | float) or isinstance(v, bool):
                        raise FitError(f"{k} = {v!r}: give a number")
                    cheap[k] = float(v)
                else:
                    updates[k] = v
        return cheap_fix, cheap_start, updates

    def _configure(self, cfg, updates: dict, names: list[str], terms, model) -> None:
        """The config with the fixed/start values, every name checked, and the model."""
        from ..config import ConfigError, config_to_dict, validate_config
        from ..model import build_model

        data = config_to_dict(cfg)
        items = {}
        for k, v in updates.items():
            parts = k.split(".")
            if len(parts) == 2:
                check_config_key(k)
                data.setdefault(parts[0], {})[parts[1]] = v
            else:
                items[k] = v
        try:
            cfg = validate_config(data)
        except ConfigError as exc:
            raise FitError(f"fix/start: {exc}") from None
        # every name is checked before the model is built
        pre = ConfigEditor(cfg, {})
        for name in [*names, *items]:
            if is_cheap_name(name):
                sel = bracket(name, PHI_KEY) or bracket(name, "norm")
                if sel is not None:
                    match_terms(sel, terms, name)
            elif name.startswith(("modulation.", "norm")):
                raise unknown_parameter(name)
            else:
                pre.check(name)
        t = time.perf_counter()
        model = model.updated(cfg) if model is not None else build_model(cfg)
        if items:
            editor = ConfigEditor(cfg, model.abundances)
            for k, v in items.items():
                editor.check(k)
                try:
                    editor.set(editor.base, k, float(v))
                except (TypeError, ValueError):
                    raise FitError(f"{k} = {v!r}: give a number") from None
            try:
                cfg = validate_config(editor.base)
            except ConfigError as exc:
                raise FitError(f"fix/start: {exc}") from None
            model = model.updated(cfg)
        self.model = model
        self.setup_s = time.perf_counter() - t
        self.cfg = cfg
        self.editor = ConfigEditor(cfg, model.abundances)

    def _make_params(self, free, terms, cheap_fix, cheap_start, phi_gv, steps) -> list[str]:
        """The free parameters (with one normalisation per data term for syst = fit)."""
        syst = self.syst
        names = list(free)
        if syst == "fit":
            names += [
                f"norm[{t.name}]"
                for t in terms
                if f"norm[{t.name}]" not in cheap_fix and f"norm[{t.name}]" not in names
            ]
        phi0 = cheap_start.get(PHI_KEY, cheap_fix.get(PHI_KEY, phi_gv))
        self.params: list[Parameter] = [
            self._make_param(n, terms, cheap_start.get(n, phi0), steps) for n in names
        ]
        if not self.params:
            raise FitError("nothing to fit: name the free parameters (free=[...], --free KEY,KEY)")
        return names

    def _apply_bounds(self, bounds, names: list[str]) -> None:
        """User bounds on the free parameters; the start values clipped into them."""
        for b in bounds:
            if b not in names:
                raise FitError(f"bounds: {b} is not a free parameter (free: {', '.join(names)})")
        for p in self.params:
            if p.name in bounds:
                lo, hi = bounds[p.name]
                if lo is not None and hi is not None and not lo < hi:
                    raise FitError(
                        f"bounds: {p.name} = ({lo}, {hi}): the lower bound must be smaller"
                    )
                if lo is not None:
                    p.lower = lo
                if hi is not None:
                    p.upper = hi
                if p.log and p.lower is not None and p.lower <= 0:
                    p.lower = None
                if p.log and p.upper is not None and p.upper <= 0:
                    raise FitError(f"bounds: {p.name} is positive; give an upper bound > 0")
            if p.lower is not None and p.start < p.lower:
                p.start = p.lower
            if p.upper is not None and p.start > p.upper:
                p.start = p.upper

    def _set_priors(self, priors, names: list[str]) -> None:
        """Gaussian priors on free parameters: chi2 += ((value - mean) / sigma)^2."""
        self.priors: list[tuple[int, float, float]] = []
        for name, ms in priors.items():
            if name not in names:
                raise FitError(f"priors: {name} is not a free parameter (free: {', '.join(names)})")
            try:
                mean, sigma = (float(x) for x in ms)
            except (TypeError, ValueError):
                raise FitError(
                    f"priors: {name} = {ms!r}: give (mean, sigma), two numbers"
                ) from None
            if not (math.isfinite(mean) and math.isfinite(sigma) and sigma > 0):
                raise FitError(
                    f"priors: {name} = ({mean:g}, {sigma:g}): the mean must be finite and sigma > 0"
                )
            self.priors.append((names.index(name), mean, sigma))

    def _index_terms(self, terms, cheap_fix, phi_gv) -> None:
        """phi and the normalisation of every data term: fixed values or parameter index."""
        syst = self.syst
        n = len(terms)
        self.phi_fixed = np.full(n, float(cheap_fix.get(PHI_KEY, phi_gv)))
        specific = np.zeros(n, dtype=bool)
        for k, v in cheap_fix.items():
            sel = bracket(k, PHI_KEY)
            if sel is not None:
                for i in match_terms(sel, terms, k):
                    self.phi_fixed[i] = v
                    specific[i] = True
        self.norm_fixed: list[float | None] = [None if syst == "quadrature" else 1.0] * n
        for k, v in cheap_fix.items():
            sel = bracket(k, "norm")
            if sel is not None:
                if syst != "fit":
                    raise FitError(f"{k!r}: normalisations are parameters only with syst = 'fit'")
                for i in match_terms(sel, terms, k):
                    self.norm_fixed[i] = v
        self.phi_index: list[int | None] = [None] * n
        self.norm_index: list[int | None] = [None] * n
        for j, p in enumerate(self.params):
            if p.kind == "phi" and p.name == PHI_KEY:
                for i in range(n):
                    if not specific[i]:
                        self.phi_index[i] = j
        for j, p in enumerate(self.params):
            if p.kind == "phi" and p.name != PHI_KEY:
                for i in p.terms:
                    self.phi_index[i] = j
            elif p.kind == "norm":
                for i in p.terms:
                    self.norm_index[i] = j

    # -- parameters ---------------------------------------------------------------------
    def _make_param(self, name, terms, phi_start, steps) -> Parameter:
        sel = bracket(name, PHI_KEY)
        if name == PHI_KEY or sel is not None:
            idx = list(range(len(terms))) if sel is None else match_terms(sel, terms, name)
            return Parameter(
                name, "phi", float(phi_start), False, *PHI_LIMITS, steps.get(name, 0.05), idx
            )
        sel = bracket(name, "norm")
        if sel is not None:
            if self.syst != "fit":
                raise FitError(
                    f"{name!r}: normalisations are fit parameters only with syst = 'fit'"
                )
            idx = match_terms(sel, terms, name)
            rel = terms[idx[0]].syst_rel or 0.05
            return Parameter(name, "norm", 1.0, False, 0.0, None, steps.get(name, rel), idx)
        if name.startswith(("modulation.", "norm")):
            raise unknown_parameter(name)
        lo, hi, log = self.editor.check(name)
        v = self.editor.get(name)
        if log and not v > 0:
            raise FitError(
                f"{name!r} starts at {v:g}, but it is fitted as log10: give a positive start "
                f"(start={{{name!r}: VALUE}}, --start {name}=VALUE)"
            )
        if log:
            step = 0.02
        else:
            step = max(0.01 * abs(v), 0.01)
        step = steps.get(name, step)
        kind = "scale" if name == SCALE_KEY else "config"
        if log:
            lo = lo if (lo is not None and lo > 0) else None
        return Parameter(name, kind, v, log, lo, hi, step)

    def natural(self, u) -> dict[str, float]:
        return {p.name: p.to_natural(u[j]) for j, p in enumerate(self.params)}

    def config_at(self, u, for_solve: bool = False, complete: bool = True):
        """The configuration at internal values ``u`` (the flux scale at its reference when
        ``for_solve``; without antiprotons unless ``complete`` when no data set reads them:
        they feed nothing back into the nuclei, :attr:`skip_antiprotons`)."""
        from ..config import ConfigError, validate_config

        data = copy.deepcopy(self.editor.base)
        for j, p in enumerate(self.params):
            if p.kind == "config" or (p.kind == "scale" and not for_solve):
                self.editor.set(data, p.name, p.to_natural(u[j]))
        if self.skip_antiprotons and not complete:
            data.setdefault("species", {})["antiprotons"] = False
        try:
            return validate_config(data)
        except ConfigError as exc:
            raise FitError(f"the fit reached an invalid configuration: {exc}") from None

    # -- solutions ------------------------------------------------------------------------
    def solution(self, u, reason: str = "", complete: bool = False):
        """The solution at ``u`` (flux scale at its reference value), cached. Unless
        ``complete``: without antiprotons when no data set reads them, and, once
        :meth:`restrict_to_grid` has found the species the data read, only those and what
        feeds them (``Model.solve(only=...)``: the same densities, fewer marches)."""
        from ..config import dump_config

        cfg = self.config_at(u, for_solve=True, complete=complete)
        only = None if complete else self.species_needed
        key = dump_config(cfg) + ("" if only is None else f"\n# only {' '.join(only)}")
        if key in self.cache:
            return self.cache[key], True
        t = time.perf_counter()
        self.model = self.model.updated(cfg)
        ds = self.model.solve(only=only)
        self.n_solves += 1
        self.cache[key] = ds
        what = ", ".join(
            f"{p.name} = {p.to_natural(u[j]):.5g}" for j, p in enumerate(self.params) if p.solve
        )
        self.report(
            f"solve {self.n_solves} ({reason}, {time.perf_counter() - t:.1f} s): {what}"
            if what
            else f"solve {self.n_solves} ({reason}, {time.perf_counter() - t:.1f} s)"
        )
        return ds, False

    def report(self, line: str) -> None:
        """One progress line: logged at INFO and passed to the ``progress`` callable."""
        text = (
            f"{line}  [{self.n_solves} solves, {self.n_chi2} chi2 evaluations, "
            f"{time.perf_counter() - self.t0:.0f} s]"
        )
        log.info("%s", text)
        if self.progress is not None:
            self.progress(text)

    def phis(self, u) -> np.ndarray:
        out = self.phi_fixed.copy()
        for i, j in enumerate(self.phi_index):
            if j is not None:
                out[i] = u[j]
        return out

    def norms(self, u) -> list[float | None]:
        out = list(self.norm_fixed)
        for i, j in enumerate(self.norm_index):
            if j is not None:
                out[i] = float(u[j])
        return out

    def scale(self, u) -> float:
        if self.scale_index is None:
            return 1.0
        return self.params[self.scale_index].to_natural(u[self.scale_index]) / self.scale_ref

    def predictions(self, flux_ds, u) -> list[np.ndarray]:
        from ..observables.local import predict

        phis = self.phis(u)
        fine = smooth_flux(flux_ds, self.species_needed)
        out = []
        for i, t in enumerate(self.like.terms):
            p = predict(fine, t.data, max(float(phis[i]), 0.0))
            if not t.data.is_ratio:
                p = p * self.scale(u)
            out.append(p)
        return out

    def chi2_of(self, flux_ds, u) -> float:
        self.n_chi2 += 1
        preds = self.predictions(flux_ds, u)
        total, _, _ = self.like.evaluate(preds, self.norms(u))
        total += self.prior_chi2(u)
        return total if np.isfinite(total) else BAD_CHI2

    def prior_chi2(self, u) -> float:
        """The Gaussian priors' share of the chi2 at internal values ``u``."""
        return float(
            sum(((self.params[j].to_natural(u[j]) - m) / s) ** 2 for j, m, s in self.priors)
        )

    def exact(self, u) -> float:
        ds, cached = self.solution(u, reason="MIGRAD")
        self.n_cached += int(cached)
        c = self.chi2_of(ds, u)
        if not cached:
            self.report(f"chi2 = {c:.3f}")
        return c

    def needed(self, ds):
        """``ds`` with only the species the data read (all when :meth:`restrict_to_grid` found
        no restriction): what every solution after the first holds at least."""
        return ds if self.species_needed is None else ds.sel(species=self.species_needed)

    def restrict_to_grid(self, ds) -> None:
        """Drop data points the model grid does not cover (NaN predictions); check species."""
        from ..observables.local import LocalObservableError, isotopes_in, predict

        needed: list[str] | None = []
        for t in self.like.terms:
            try:
                p = predict(ds, t.data, 0.0)
                parts = observable_parts(t.data.observable)
                if not parts:
                    needed = None
                for part in parts:
                    if needed is not None:
                        needed += isotopes_in(ds, part)
            except LocalObservableError as exc:
                raise FitError(f"data set {t.name}: {exc}") from None
            ok = np.isfinite(p)
            if not ok.all():
                if not ok.any():
                    raise FitError(
                        f"data set {t.name}: no point lies inside the model's energy grid "
                        f"({float(ds.ekin_gev_per_n[0]):.3g}-{float(ds.ekin_gev_per_n[-1]):.3g} "
                        "GeV/n)"
                    )
                idx = np.flatnonzero(t.mask)
                t.mask[idx[~ok]] = False
                t.data = t.data.select(ok)
                t.sigma = t.sigma[ok]
                t.n_invalid += int((~ok).sum())
        if needed is not None:
            names = [str(n) for n in ds.species.values]
            self.species_needed = [n for n in names if n in set(needed)]


def _reads_antiprotons(observable: str) -> bool:
    """Whether a data set's observable (``pbar/p``, ``pbar``, ``e+ + pbar``...) needs the
    antiprotons of a solution."""
    return any("pbar" in part.replace(" ", "").split("+") for part in observable_parts(observable))

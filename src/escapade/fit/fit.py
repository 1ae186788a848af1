"""Fitting propagation parameters to measured data with iminuit (MIGRAD, HESSE, MINOS).

    from escapade.fit import fit
    res = fit("configs/letter_tau0.85_fast.toml", data=["B/C:AMS-02"],
              free=["diffusion.d0_cm2_s", "modulation.phi_gv"])
    res.values["diffusion.d0_cm2_s"], res.errors["diffusion.d0_cm2_s"], res.chi2, res.ndof
    res.config                      # the best-fit escapade.Config
    res.write("fit/")               # best_fit.toml, fit.json, fit.png

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

import copy
import difflib
import functools
import json
import logging
import math
import re
import sys
import textwrap
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import numpy as np

from ..measurements import Measurement, load_measurement
from .likelihood import SYST_MODES, DataTerm, Likelihood
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

PHI_KEY = "modulation.phi_gv"
PHI_LIMITS = (0.0, None)
LOG_KEYS = ("diffusion.d0_cm2_s", "source.norm_flux_m2_s_sr_gev")
LOG_PREFIXES = ("species.abundances.", "source.break_rigidities_gv.")
SCALE_KEY = "source.norm_flux_m2_s_sr_gev"
"""Scales every flux without changing the solution: needs no solve."""
_ITEM_KEYS = {
    "species.abundances": "ISOTOPE|ELEMENT",
    "source.index_overrides": "ISOTOPE",
    "source.break_rigidities_gv": "I",
    "source.break_indices": "I",
}
_BAD_CHI2 = 1e12

log = logging.getLogger(__name__)


class FitError(ValueError):
    """Bad fit input: an unknown parameter, a bad bound, a fit that cannot start."""


# --------------------------------------------------------------------------- parameter names


def _config_model():
    from ..config import Config

    return Config


def _numeric_config_keys() -> list[str]:
    """Config keys that hold a real number (the ones that can be free)."""
    Config = _config_model()
    out = []
    for s, f in Config.model_fields.items():
        for k, ff in f.annotation.model_fields.items():  # type: ignore[union-attr]
            if _is_real(ff.annotation):
                out.append(f"{s}.{k}")
    return out


def _all_config_keys() -> list[str]:
    Config = _config_model()
    return [
        f"{s}.{k}"
        for s, f in Config.model_fields.items()
        for k in f.annotation.model_fields  # type: ignore[union-attr]
    ]


def _is_real(annotation) -> bool:
    if annotation is float:
        return True
    if get_origin(annotation) not in (Union, UnionType):
        return False
    return float in get_args(annotation)


def parameter_choices() -> list[str]:
    """Every parameter name a fit accepts (placeholders in capitals)."""
    items = [f"{k}.{v}" for k, v in _ITEM_KEYS.items()]
    return [PHI_KEY, f"{PHI_KEY}[DATA]", "norm[DATA]", *_numeric_config_keys(), *items]


def _unknown(name: str, what: str = "fit parameter") -> FitError:
    choices = parameter_choices()
    pool = choices + [k for k in _all_config_keys() if k not in choices]
    guess = [c for c in pool if c.startswith(name)] or difflib.get_close_matches(
        name, pool, n=1, cutoff=0.6
    )
    hint = f" Did you mean {guess[0]!r}?" if guess else ""
    return FitError(f"unknown {what} {name!r}.{hint} Valid: {', '.join(choices)}")


def check_parameter_name(name: str) -> None:
    """Raise :class:`FitError` (listing the valid names) unless ``name`` can be a fit parameter.

    Checks the form only (a numeric config key, an item key, phi, norm[...]); whether a list
    item or an isotope exists in a given config is checked when the fit starts.
    """
    if _bracket(name, PHI_KEY) is not None or _bracket(name, "norm") is not None:
        if not (_bracket(name, PHI_KEY) or _bracket(name, "norm")):
            raise FitError(f"{name!r}: name a data set or experiment between the brackets")
        return
    if name == PHI_KEY:
        return
    parts = name.split(".")
    head = ".".join(parts[:2])
    if len(parts) > 2:
        if head not in _ITEM_KEYS:
            raise _unknown(name)
        return
    if name not in _numeric_config_keys():
        if name in _all_config_keys():
            raise FitError(f"{name!r} is not a real number, so it cannot be fitted; use --fix")
        raise _unknown(name)


def _config_limits(section: str, key: str) -> tuple[float | None, float | None]:
    Config = _config_model()
    f = Config.model_fields[section].annotation.model_fields[key]  # type: ignore[union-attr]
    lo = hi = None
    for c in f.metadata:
        for attr in ("ge", "gt"):
            if getattr(c, attr, None) is not None:
                lo = float(getattr(c, attr))
        for attr in ("le", "lt"):
            if getattr(c, attr, None) is not None:
                hi = float(getattr(c, attr))
    return lo, hi


def parse_value(text: str) -> Any:
    """A --fix/--start value: a TOML literal (``0.6``, ``[300.0]``, ``true``) or a bare word."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


# ------------------------------------------------------------------------------ parameters


@dataclass
class Parameter:
    """One fit parameter (free or fixed).

    ``kind``: "config" (changes the solution), "scale" (source.norm_flux_m2_s_sr_gev),
    "phi" (force field, per data set), "norm" (normalisation of a data set).
    """

    name: str
    kind: str
    start: float
    log: bool = False
    lower: float | None = None
    upper: float | None = None
    step: float = 0.01
    terms: list[int] = field(default_factory=list)

    @property
    def solve(self) -> bool:
        return self.kind == "config"

    def to_internal(self, v: float) -> float:
        return math.log10(v) if self.log else float(v)

    def to_natural(self, u: float) -> float:
        return 10.0 ** float(u) if self.log else float(u)

    def internal_limits(self) -> tuple[float, float]:
        lo, hi = self.lower, self.upper
        if self.log:
            lo = math.log10(lo) if lo is not None and lo > 0 else None
            hi = math.log10(hi) if hi is not None and hi > 0 else None
        return (-np.inf if lo is None else lo, np.inf if hi is None else hi)


class _ConfigEditor:
    """Reads and writes fit parameters in a configuration (as a plain TOML dict)."""

    def __init__(self, cfg, resolved_abundances: Mapping[str, float]):
        from ..config import config_to_dict

        self.cfg = cfg
        self.base = config_to_dict(cfg)
        self.abund = dict(resolved_abundances)
        self.element_fractions: dict[str, dict[str, float]] = {}

    def check(self, name: str) -> tuple[float | None, float | None, bool]:
        """Validate a parameter name; returns its config limits and whether it is log10."""
        parts = name.split(".")
        Config = _config_model()
        if len(parts) < 2 or parts[0] not in Config.model_fields:
            raise _unknown(name)
        section = Config.model_fields[parts[0]].annotation
        if parts[1] not in section.model_fields:  # type: ignore[union-attr]
            raise _unknown(name)
        head = f"{parts[0]}.{parts[1]}"
        log = name in LOG_KEYS or name.startswith(LOG_PREFIXES)
        if len(parts) == 2:
            if head in _ITEM_KEYS:
                raise FitError(
                    f"{name!r} is a {type(self.get_raw(name)).__name__}: free one item, "
                    f"{head}.{_ITEM_KEYS[head]}"
                )
            ann = section.model_fields[parts[1]].annotation  # type: ignore[union-attr]
            if ann is int or ann == int | None:
                raise FitError(f"{name!r} is a whole number, not a fit parameter; use --fix")
            if not _is_real(ann):
                raise FitError(f"{name!r} is not a number, so it cannot be fitted; use --fix")
            lo, hi = _config_limits(parts[0], parts[1])
            return lo, hi, log
        item = ".".join(parts[2:])
        if head not in _ITEM_KEYS or not item:
            raise _unknown(name)
        if head == "species.abundances":
            return 0.0, None, True
        if head == "source.index_overrides":
            self._isotope(name, item)
            return 1.0, 4.0, False
        # list items
        if not item.isdigit():
            raise FitError(f"{name!r}: the item of {head} is an index (0, 1, ...)")
        lst = self.base["source"].get(parts[1], [])
        if int(item) >= len(lst):
            raise FitError(
                f"{name!r}: {head} has {len(lst)} item(s) in the config; give the list first, "
                f"e.g. --fix {head}=[300.0]"
            )
        return (0.0, None, True) if parts[1] == "break_rigidities_gv" else (1.0, 4.0, False)

    @staticmethod
    def _isotope(name: str, item: str) -> str:
        from ..species import SpeciesError, nuclide

        try:
            nuclide(item)
        except SpeciesError as exc:
            raise FitError(f"{name!r}: {exc}") from None
        return item

    def get_raw(self, name: str):
        parts = name.split(".")
        return self.base.get(parts[0], {}).get(parts[1])

    def get(self, name: str, data: dict | None = None) -> float:
        """The current value of a parameter (resolved abundances for species.abundances.X)."""
        data = self.base if data is None else data
        parts = name.split(".")
        head = f"{parts[0]}.{parts[1]}"
        if len(parts) == 2:
            v = data.get(parts[0], {}).get(parts[1])
            if v is None or isinstance(v, str | bool):
                raise FitError(f"{name!r} has no numeric value in the config ({v!r}); use --start")
            return float(v)
        item = ".".join(parts[2:])
        if head == "species.abundances":
            fr = self._fractions(name, item)
            explicit = data["species"].get("abundances") or {}
            return float(sum(explicit.get(iso, self.abund.get(iso, 0.0)) for iso in fr))
        if head == "source.index_overrides":
            ov = data["source"].get("index_overrides") or {}
            return float(ov.get(item, data["source"]["rigidity_index"]))
        return float(data["source"][parts[1]][int(item)])

    def _fractions(self, name: str, item: str) -> dict[str, float]:
        """Isotopes set by ``species.abundances.ITEM`` and their shares of the total."""
        if item in self.element_fractions:
            return self.element_fractions[item]
        from ..species import ELEMENTS, SpeciesError, nuclide

        if item in ELEMENTS[1:]:
            isos = {}
            for iso, a in self.abund.items():
                try:
                    if nuclide(iso).element == item and a > 0:
                        isos[iso] = a
                except SpeciesError:
                    continue
            total = sum(isos.values())
            if total <= 0:
                raise FitError(
                    f"{name!r}: no isotope of {item} is injected in this config; free an isotope "
                    f"(species.abundances.{_main(item)}) instead"
                )
            fr = {iso: a / total for iso, a in isos.items()}
        else:
            try:
                nuclide(item)
            except SpeciesError as exc:
                raise FitError(f"{name!r}: {exc}") from None
            if item not in self.abund:
                raise FitError(
                    f"{name!r}: {item} is not propagated in this config (it holds "
                    f"{', '.join(self.abund)})"
                )
            fr = {item: 1.0}
        self.element_fractions[item] = fr
        return fr

    def set(self, data: dict, name: str, value) -> None:
        """Set a parameter in a config dict (in place)."""
        parts = name.split(".")
        head = f"{parts[0]}.{parts[1]}"
        if len(parts) == 2:
            data.setdefault(parts[0], {})[parts[1]] = value
            return
        item = ".".join(parts[2:])
        if head == "species.abundances":
            ab = dict(data["species"].get("abundances") or {})
            for iso, f in self._fractions(name, item).items():
                ab[iso] = float(value) * f
            data["species"]["abundances"] = ab
        elif head == "source.index_overrides":
            ov = dict(data["source"].get("index_overrides") or {})
            ov[item] = float(value)
            data["source"]["index_overrides"] = ov
        else:
            lst = list(data["source"][parts[1]])
            lst[int(item)] = float(value)
            data["source"][parts[1]] = lst


def _is_cheap_name(k: str) -> bool:
    return k == PHI_KEY or _bracket(k, PHI_KEY) is not None or _bracket(k, "norm") is not None


def _check_config_key(k: str) -> None:
    parts = k.split(".")
    Config = _config_model()
    if (
        len(parts) != 2
        or parts[0] not in Config.model_fields
        or parts[1] not in Config.model_fields[parts[0]].annotation.model_fields  # type: ignore[union-attr]
    ):
        raise _unknown(k, "config key")


def _main(element: str) -> str:
    from .likelihood import MAIN_ISOTOPES

    return MAIN_ISOTOPES.get(element, element)


def _norm_name(s: str) -> str:
    return re.sub(r"[-_\s]", "", s).lower()


def _bracket(name: str, prefix: str) -> str | None:
    if name.startswith(prefix + "[") and name.endswith("]"):
        return name[len(prefix) + 1 : -1].strip()
    return None


def _match_terms(sel: str, terms: Sequence[DataTerm], name: str) -> list[int]:
    hits = [i for i, t in enumerate(terms) if t.name == sel]
    if not hits:
        key = _norm_name(sel)
        hits = [
            i
            for i, t in enumerate(terms)
            if _norm_name(t.name) == key or _norm_name(t.full.experiment) == key
        ]
    if not hits:
        names = ", ".join(t.name for t in terms)
        raise FitError(
            f"{name!r}: {sel!r} names none of the fitted data sets; give a data set ({names}) "
            "or an experiment"
        )
    return hits


# ------------------------------------------------------------------------------ the result


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    values, errors : best-fit value and HESSE error of every free parameter (natural units;
        the error of a log10-fitted parameter is value * ln(10) * error of its log10).
    minos : (lower, upper) MINOS errors (lower < 0) when asked for, else empty.
    fixed : what was fixed for the fit (``fix``, and phi when it was neither free nor fixed).
    correlation : correlation matrix of the free parameters (order of ``parameters``).
    covariance : covariance matrix in natural units.
    chi2, ndof, pvalue : at the best fit (exact model); ndof = points - free parameters
        (normalisations with their penalty terms are not counted).
    terms : per data set: name, chi2, points, excluded points, phi, normalisation.
    priors : per Gaussian prior: parameter name, mean, sigma and its chi2 (included in
        ``chi2``; each prior counts as one measurement in ``ndof``).
    config : the best-fit :class:`~escapade.config.Config`.
    solution : the best-fit solution (:class:`xarray.Dataset`).
    n_solves : model evaluations (transport solves); ``n_chi2`` : chi2 evaluations;
    n_cached : chi2 evaluations whose solution came from the cache.
    wall_s : wall time of the fit. ``valid`` : MIGRAD converged (and the linearised method too).
    """

    parameters: list[str]
    values: dict[str, float]
    errors: dict[str, float]
    minos: dict[str, tuple[float, float]]
    fixed: dict[str, Any]
    correlation: np.ndarray
    covariance: np.ndarray
    chi2: float
    ndof: int
    pvalue: float
    terms: list[dict]
    config: Any
    solution: Any
    n_solves: int
    n_chi2: int
    n_cached: int
    wall_s: float
    valid: bool
    method: str
    message: str = ""
    settings: dict = field(default_factory=dict)
    log10: dict[str, bool] = field(default_factory=dict)
    data_terms: list[DataTerm] = field(default_factory=list, repr=False)
    priors: list[dict] = field(default_factory=list)

    @property
    def best_config(self):
        return self.config

    @property
    def chi2_per_ndof(self) -> float:
        return self.chi2 / self.ndof if self.ndof > 0 else math.nan

    def phi_of(self, term: str) -> float:
        return next(t["phi_gv"] for t in self.terms if t["name"] == term)

    def summary(self) -> str:
        lines = [
            f"fit ({self.method}) {'converged' if self.valid else 'NOT converged'}: "
            f"chi2 = {self.chi2:.2f} for {self.ndof} dof (chi2/ndof = {self.chi2_per_ndof:.3f},"
            f" p = {self.pvalue:.3g}); {self.n_solves} solves, {self.n_chi2} chi2 evaluations,"
            f" {self.wall_s:.1f} s"
        ]
        for p in self.parameters:
            s = f"  {p} = {self.values[p]:.6g} +- {self.errors[p]:.3g}"
            if p in self.minos:
                lo, hi = self.minos[p]
                s += f"  (MINOS {lo:+.3g} {hi:+.3g})"
            lines.append(s)
        for t in self.terms:
            extra = f", norm = {t['norm']:.4f}" if t["norm"] is not None else ""
            lines.append(
                f"  {t['name']}: chi2 = {t['chi2']:.2f} for {t['n_points']} points "
                f"(phi = {_fmt(t['phi_gv'])} GV{extra})"
            )
        for t in self.priors:
            lines.append(
                f"  prior {t['name']} = {t['mean']:.4g} +- {t['sigma']:.3g}: chi2 = {t['chi2']:.2f}"
            )
        if self.message:
            lines.append(f"  note: {self.message}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The content of ``fit.json``."""
        from .._version import __version__

        corr = np.asarray(self.correlation, dtype=float)
        cov = np.asarray(self.covariance, dtype=float)

        def clean(x):
            return None if x is None or not np.isfinite(x) else float(x)

        return {
            "escapade_version": __version__,
            "method": self.method,
            "valid": bool(self.valid),
            "message": self.message,
            "parameters": {
                p: {
                    "value": float(self.values[p]),
                    "error": clean(self.errors[p]),
                    "minos": list(self.minos[p]) if p in self.minos else None,
                    "fitted_as": "log10" if self.log10.get(p) else "linear",
                }
                for p in self.parameters
            },
            "fixed": dict(self.fixed),
            "correlation": {
                "parameters": list(self.parameters),
                "matrix": [[clean(v) for v in row] for row in corr],
            },
            "covariance": [[clean(v) for v in row] for row in cov],
            "chi2": float(self.chi2),
            "ndof": int(self.ndof),
            "chi2_per_ndof": clean(self.chi2_per_ndof),
            "pvalue": clean(self.pvalue),
            "data": self.terms,
            "priors": self.priors,
            "n_model_evaluations": int(self.n_solves),
            "n_chi2_evaluations": int(self.n_chi2),
            "n_chi2_from_cache": int(self.n_cached),
            "wall_seconds": float(self.wall_s),
            "settings": self.settings,
        }

    def to_dataset(self):
        """The best-fit solution with the fit's results as variables (for ``escapade scan``).

        Adds ``fit_value`` and ``fit_error`` (dimension ``fit_parameter``), ``chi2``,
        ``ndof``, ``pvalue``, ``fit_valid``, ``fit_solves``, ``fit_chi2_evaluations``,
        ``fit_seconds`` and ``chi2_data`` (dimension ``fit_data``); ``fit_json`` attribute.
        """
        import xarray as xr

        ds = self.solution.copy()
        pars = np.array(self.parameters, dtype=object)
        ds = ds.assign_coords(fit_parameter=("fit_parameter", pars))
        ds["fit_value"] = ("fit_parameter", [self.values[p] for p in self.parameters])
        ds["fit_error"] = ("fit_parameter", [self.errors[p] for p in self.parameters])
        ds = ds.assign_coords(
            fit_data=("fit_data", np.array([t["name"] for t in self.terms], dtype=object))
        )
        ds["chi2_data"] = ("fit_data", [t["chi2"] for t in self.terms])
        ds["chi2"] = xr.DataArray(self.chi2, attrs={"long_name": "chi2 at the best fit"})
        ds["ndof"] = xr.DataArray(self.ndof)
        ds["pvalue"] = xr.DataArray(self.pvalue)
        ds["fit_valid"] = xr.DataArray(int(self.valid))
        ds["fit_solves"] = xr.DataArray(self.n_solves)
        ds["fit_chi2_evaluations"] = xr.DataArray(self.n_chi2)
        ds["fit_seconds"] = xr.DataArray(self.wall_s, attrs={"units": "s"})
        ds.attrs["fit_json"] = json.dumps(self.to_dict())
        return ds

    def config_toml(self) -> str:
        """The best-fit config as TOML with a header recording the fit (rerun with
        ``escapade run``)."""
        from datetime import date

        from ..config import dump_config

        head = [
            f"# Best fit written by `escapade fit` on {date.today().isoformat()}"
            f" ({self.method}, {'converged' if self.valid else 'NOT converged'}).",
            f"# data: {', '.join(t['name'] for t in self.terms)}; "
            f"rigidity >= {self.settings.get('rmin_gv')} GV"
            + (f", <= {self.settings['rmax_gv']} GV" if self.settings.get("rmax_gv") else "")
            + f"; syst = {self.settings.get('syst')}",
            f"# chi2 = {self.chi2:.3f} for {self.ndof} dof (p = {self.pvalue:.3g})",
        ]
        for p in self.parameters:
            head.append(f"# {p} = {self.values[p]:.6g} +- {self.errors[p]:.3g}")
        phis = sorted({round(t["phi_gv"], 6) for t in self.terms})
        if len(phis) == 1:
            head.append(
                f"# force-field potential phi = {phis[0]:.4g} GV (not a config key: "
                f"`escapade plot --phi {phis[0]:.4g}`)"
            )
        else:
            head.append(
                "# force-field potentials (not config keys): "
                + ", ".join(f"{t['name']}: {t['phi_gv']:.4g} GV" for t in self.terms)
            )
        return "\n".join(head) + "\n\n" + dump_config(self.config)

    def figure(self):
        """The fitted observables with data (top) and residuals in sigma (bottom)."""
        return _figure(self)

    def write(self, outdir: str | Path, stem: str = "best_fit") -> dict[str, Path]:
        """Write ``<stem>.toml``, ``fit.json`` and ``fit.png`` into ``outdir``."""
        from ..io import atomic_path
        from ..plots import save

        out = Path(outdir)
        if out.exists() and not out.is_dir():
            raise FitError(f"output {str(out)!r} is a file; give a folder such as fit/")
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "config": out / f"{stem}.toml",
            "json": out / "fit.json",
            "figure": out / "fit.png",
        }
        with atomic_path(paths["config"]) as tmp:
            tmp.write_text(self.config_toml(), encoding="utf-8")
        with atomic_path(paths["json"]) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        save(self.figure(), paths["figure"])
        return paths


# ------------------------------------------------------------------------------ the problem


class _Problem:
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
        from ..config import ConfigError, config_to_dict, validate_config
        from ..model import Model

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

        # --fix and --start: phi and normalisations apart; config keys change the config
        cheap_fix, cheap_start, updates = {}, {}, {}
        for src, cheap in ((fix, cheap_fix), (start, cheap_start)):
            for k, v in src.items():
                if _is_cheap_name(k):
                    if not isinstance(v, int | float) or isinstance(v, bool):
                        raise FitError(f"{k} = {v!r}: give a number")
                    cheap[k] = float(v)
                else:
                    updates[k] = v
        data = config_to_dict(cfg)
        items = {}
        for k, v in updates.items():
            parts = k.split(".")
            if len(parts) == 2:
                _check_config_key(k)
                data.setdefault(parts[0], {})[parts[1]] = v
            else:
                items[k] = v
        try:
            cfg = validate_config(data)
        except ConfigError as exc:
            raise FitError(f"--fix/--start: {exc}") from None
        # every name is checked before the model is built
        pre = _ConfigEditor(cfg, {})
        for name in [*free, *bounds, *items]:
            if _is_cheap_name(name):
                sel = _bracket(name, PHI_KEY) or _bracket(name, "norm")
                if sel is not None:
                    _match_terms(sel, terms, name)
            elif name.startswith(("modulation.", "norm")):
                raise _unknown(name)
            else:
                pre.check(name)
        t = time.perf_counter()
        model = model.updated(cfg) if model is not None else Model.from_config(cfg)
        if items:
            editor = _ConfigEditor(cfg, model.abundances)
            for k, v in items.items():
                editor.check(k)
                try:
                    editor.set(editor.base, k, float(v))
                except (TypeError, ValueError):
                    raise FitError(f"{k} = {v!r}: give a number") from None
            try:
                cfg = validate_config(editor.base)
            except ConfigError as exc:
                raise FitError(f"--fix/--start: {exc}") from None
            model = model.updated(cfg)
        self.model = model
        self.setup_s = time.perf_counter() - t
        self.cfg = cfg
        self.editor = _ConfigEditor(cfg, model.abundances)

        # the parameters
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
            raise FitError("nothing to fit: name the free parameters (--free KEY,KEY)")
        for b in bounds:
            if b not in names:
                raise FitError(f"--bound {b}: not a free parameter (free: {', '.join(names)})")
        for p in self.params:
            if p.name in bounds:
                lo, hi = bounds[p.name]
                if lo is not None and hi is not None and not lo < hi:
                    raise FitError(f"--bound {p.name}={lo}:{hi}: the lower bound must be smaller")
                if lo is not None:
                    p.lower = lo
                if hi is not None:
                    p.upper = hi
                if p.log and p.lower is not None and p.lower <= 0:
                    p.lower = None
                if p.log and p.upper is not None and p.upper <= 0:
                    raise FitError(f"--bound {p.name}: {p.name} is positive; give an upper > 0")
            if p.lower is not None and p.start < p.lower:
                p.start = p.lower
            if p.upper is not None and p.start > p.upper:
                p.start = p.upper

        # Gaussian priors on free parameters: chi2 += ((value - mean) / sigma)^2
        self.priors: list[tuple[int, float, float]] = []
        for name, ms in (priors or {}).items():
            if name not in names:
                raise FitError(f"--prior {name}: not a free parameter (free: {', '.join(names)})")
            try:
                mean, sigma = (float(x) for x in ms)
            except (TypeError, ValueError):
                raise FitError(f"--prior {name}={ms!r}: give MEAN+-SIGMA (two numbers)") from None
            if not (math.isfinite(mean) and math.isfinite(sigma) and sigma > 0):
                raise FitError(
                    f"--prior {name}={mean:g}+-{sigma:g}: MEAN must be finite and SIGMA > 0"
                )
            self.priors.append((names.index(name), mean, sigma))

        # phi and normalisation of every data term
        n = len(terms)
        self.phi_fixed = np.full(n, float(cheap_fix.get(PHI_KEY, phi_gv)))
        specific = np.zeros(n, dtype=bool)
        for k, v in cheap_fix.items():
            sel = _bracket(k, PHI_KEY)
            if sel is not None:
                for i in _match_terms(sel, terms, k):
                    self.phi_fixed[i] = v
                    specific[i] = True
        self.norm_fixed: list[float | None] = [None if syst == "quadrature" else 1.0] * n
        for k, v in cheap_fix.items():
            sel = _bracket(k, "norm")
            if sel is not None:
                if syst != "fit":
                    raise FitError(f"{k!r}: normalisations are parameters only with --syst fit")
                for i in _match_terms(sel, terms, k):
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
        self.species_needed: list[str] | None = None
        self.scale_index = next((j for j, p in enumerate(self.params) if p.kind == "scale"), None)
        self.scale_ref = float(cfg.source.norm_flux_m2_s_sr_gev)
        self.u0 = np.array([p.to_internal(p.start) for p in self.params])
        self.solve_idx = [j for j, p in enumerate(self.params) if p.solve]
        self.fixed = dict(fix)
        if not any(p.name == PHI_KEY for p in self.params) and PHI_KEY not in self.fixed:
            self.fixed[PHI_KEY] = float(phi_gv)

    # -- parameters ---------------------------------------------------------------------
    def _make_param(self, name, terms, phi_start, steps) -> Parameter:
        sel = _bracket(name, PHI_KEY)
        if name == PHI_KEY or sel is not None:
            idx = list(range(len(terms))) if sel is None else _match_terms(sel, terms, name)
            return Parameter(
                name, "phi", float(phi_start), False, *PHI_LIMITS, steps.get(name, 0.05), idx
            )
        sel = _bracket(name, "norm")
        if sel is not None:
            if self.syst != "fit":
                raise FitError(f"{name!r}: normalisations are fit parameters only with --syst fit")
            idx = _match_terms(sel, terms, name)
            rel = terms[idx[0]].syst_rel or 0.05
            return Parameter(name, "norm", 1.0, False, 0.0, None, steps.get(name, rel), idx)
        if name.startswith(("modulation.", "norm")):
            raise _unknown(name)
        lo, hi, log = self.editor.check(name)
        v = self.editor.get(name)
        if log and not v > 0:
            raise FitError(
                f"{name!r} starts at {v:g}, but it is fitted as log10: give a positive start "
                f"(--start {name}=VALUE)"
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

    def config_at(self, u, for_solve: bool = False):
        """The configuration at internal values ``u`` (the flux scale at its reference when
        ``for_solve``)."""
        from ..config import ConfigError, validate_config

        data = copy.deepcopy(self.editor.base)
        for j, p in enumerate(self.params):
            if p.kind == "config" or (p.kind == "scale" and not for_solve):
                self.editor.set(data, p.name, p.to_natural(u[j]))
        try:
            return validate_config(data)
        except ConfigError as exc:
            raise FitError(f"the fit reached an invalid configuration: {exc}") from None

    # -- solutions ------------------------------------------------------------------------
    def solution(self, u, reason: str = ""):
        """The solution at ``u`` (flux scale at its reference value), cached."""
        from ..config import dump_config

        cfg = self.config_at(u, for_solve=True)
        key = dump_config(cfg)
        if key in self.cache:
            return self.cache[key], True
        t = time.perf_counter()
        self.model = self.model.updated(cfg)
        ds = self.model.solve()
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
        return total if np.isfinite(total) else _BAD_CHI2

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

    def restrict_to_grid(self, ds) -> None:
        """Drop data points the model grid does not cover (NaN predictions); check species."""
        from ..observables.local import LocalObservableError, isotopes_in, predict

        needed: list[str] | None = []
        for t in self.like.terms:
            try:
                p = predict(ds, t.data, 0.0)
                parts = _observable_parts(t.data.observable)
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


# ---------------------------------------------------------------- smooth model interpolation

REFINE = 16
"""Energy nodes per model interval in :func:`smooth_flux`."""


def _observable_parts(observable: str) -> list[str]:
    from ..observables.local import _split_observable

    num, den = _split_observable(observable)
    if num.lower() == "allparticle":
        return []
    return [num] if den is None else [num, den]


def smooth_flux(ds, species: Sequence[str] | None = None, factor: int = REFINE):
    """``flux_local`` of ``ds`` on an energy grid ``factor`` times finer, interpolated in
    log-log by a monotone cubic (PCHIP) through the model's nodes.

    The fit evaluates its model values on this grid: the force field samples the flux at
    E + Phi, and the model's own log-log linear interpolation between its nodes has kinks that
    make the chi2 as a function of phi piecewise linear (HESSE then gives errors that depend on
    where the minimum falls between nodes). The monotone cubic is continuous with its first
    derivative and never overshoots. Species with a zero or negative node are interpolated
    linearly. ``species``: only these (default all).
    """
    import xarray as xr
    from scipy.interpolate import PchipInterpolator

    da = ds["flux_local"] if species is None else ds["flux_local"].sel(species=list(species))
    e = np.asarray(ds["ekin_gev_per_n"].values, dtype=float)
    f = np.asarray(da.values, dtype=float)
    le = np.log(e)
    lef = np.linspace(le[0], le[-1], (e.size - 1) * factor + 1)
    ef = np.exp(lef)
    ef[0], ef[-1] = e[0], e[-1]
    pos = np.all(f > 0, axis=1)
    out = np.empty((f.shape[0], ef.size))
    if pos.any():
        out[pos] = np.exp(PchipInterpolator(le, np.log(f[pos]), axis=1)(lef))
    for i in np.flatnonzero(~pos):
        out[i] = np.interp(lef, le, f[i])
    return xr.Dataset(
        {"flux_local": (("species", "ekin_gev_per_n"), out)},
        coords={"species": da["species"].values, "ekin_gev_per_n": ef},
    )


def model_values(ds, measurement, phi_gv: float = DEFAULT_PHI_GV) -> np.ndarray:
    """The model value at a measurement's points as the fit computes it (force field on the
    :func:`smooth_flux` of ``ds``); :func:`escapade.observables.local.predict` interpolates
    the model grid linearly in log-log instead (they differ by the interpolation error)."""
    from ..observables.local import isotopes_in, predict

    parts = _observable_parts(measurement.observable)
    names = list(dict.fromkeys(n for p in parts for n in isotopes_in(ds, p))) if parts else None
    return predict(smooth_flux(ds, names), measurement, phi_gv)


# --------------------------------------------------------------------------- the surrogate


class _Linearised:
    """log F(u) = log F(u_ref) + J (u - u_ref) in the solve parameters (F: flux_local)."""

    def __init__(self, problem: _Problem, u_ref, ds_ref, jac: np.ndarray):
        self.pb = problem
        self.u_ref = np.array(u_ref, dtype=float)
        self.ds = ds_ref
        f = np.asarray(ds_ref["flux_local"].values, dtype=float)
        self.pos = f > 0
        self.logf = np.log(np.where(self.pos, f, 1.0))
        self.f = f
        self.jac = jac  # (n_solve, species, energy)
        self._template = ds_ref[["flux_local"]]

    def flux(self, u) -> np.ndarray:
        s = self.pb.solve_idx
        if not s:
            return self.f
        du = np.asarray(u, dtype=float)[s] - self.u_ref[s]
        lf = self.logf + np.tensordot(du, self.jac, axes=1)
        return np.where(self.pos, np.exp(np.minimum(lf, 700.0)), self.f)

    def dataset(self, u):
        out = self._template.copy(deep=False)
        out["flux_local"] = (self._template["flux_local"].dims, self.flux(u))
        return out

    def __call__(self, u) -> float:
        return self.pb.chi2_of(self.dataset(u), u)


def _log_flux(ds) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(ds["flux_local"].values, dtype=float)
    pos = f > 0
    return np.log(np.where(pos, f, 1.0)), pos


def _jacobian(pb: _Problem, u, ds_ref) -> np.ndarray:
    """d log F / d u_j by forward differences (one solve per free solve parameter)."""
    lf0, pos0 = _log_flux(ds_ref)
    jac = np.zeros((len(pb.solve_idx), *lf0.shape))
    for k, j in enumerate(pb.solve_idx):
        p = pb.params[j]
        h = p.step
        lo, hi = p.internal_limits()
        if u[j] + h > hi:
            h = -h
        uh = np.array(u, dtype=float)
        uh[j] += h
        ds, _ = pb.solution(uh, reason=f"derivative in {p.name}")
        lf, pos = _log_flux(ds)
        jac[k] = np.where(pos0 & pos, (lf - lf0) / h, 0.0)
    return jac


def _broyden(jac, du, dlf, mask) -> np.ndarray:
    """Rank-one secant update of the Jacobian with a step du and the change of log F."""
    du = np.asarray(du, dtype=float)
    nrm = float(du @ du)
    if nrm == 0:
        return jac
    resid = np.where(mask, dlf - np.tensordot(du, jac, axes=1), 0.0)
    return jac + du[:, None, None] * resid[None] / nrm


def _minuit(fcn, pb: _Problem, u0, limits=None, strategy: int = 1):
    from iminuit import Minuit

    m = Minuit(fcn, np.array(u0, dtype=float), name=[p.name for p in pb.params])
    m.errordef = Minuit.LEAST_SQUARES
    m.strategy = strategy
    m.errors = [p.step for p in pb.params]
    m.limits = limits if limits is not None else [p.internal_limits() for p in pb.params]
    m.print_level = 0
    return m


def _run_migrad(pb: _Problem, strategy: int, minos: bool):
    m = _minuit(pb.exact, pb, pb.u0, strategy=strategy)
    m.migrad()
    m.hesse()
    if minos and m.valid:
        m.minos()
    return m, np.array(m.values), bool(m.valid), "", (m if minos else None)


def _run_linearised(
    pb: _Problem, strategy: int, minos: bool, tolerance: float, max_iterations: int
):
    """MIGRAD on the linearised model, re-linearised at every new minimum (module docstring)."""
    u = pb.u0.copy()
    ds_ref, _ = pb.solution(u, reason="start")
    pb.restrict_to_grid(ds_ref)
    s = pb.solve_idx
    jac = _jacobian(pb, u, ds_ref) if s else np.zeros((0,))
    chi2_ref = pb.chi2_of(ds_ref, u)
    radius = 25.0  # trust region of the solve parameters, in initial steps
    converged = not s
    message = ""
    for it in range(max_iterations if s else 0):
        sur = _Linearised(pb, u, ds_ref, jac)
        limits = []
        for j, p in enumerate(pb.params):
            lo, hi = p.internal_limits()
            if p.solve:
                lo, hi = max(lo, u[j] - radius * p.step), min(hi, u[j] + radius * p.step)
            limits.append((lo, hi))
        m = _minuit(sur, pb, u, limits, strategy)
        m.migrad()
        m.hesse()
        u_new = np.array(m.values)
        err = np.array(m.errors)
        step = float(np.max(np.abs(u_new[s] - u[s]) / np.maximum(err[s], 1e-12)))
        if step < tolerance:  # the solved point u is within tolerance of the minimum
            pb.report(f"iteration {it + 1}: step = {step:.3g} sigma: converged")
            converged = True
            break
        predicted = m.fval
        ds_new, _ = pb.solution(u_new, reason=f"iteration {it + 1}")
        chi2_new = pb.chi2_of(ds_new, u_new)
        pb.report(
            f"iteration {it + 1}: chi2 = {chi2_new:.3f} (linearised {predicted:.3f}), step = "
            f"{step:.3g} sigma"
        )
        lf_ref, pos_ref = _log_flux(ds_ref)
        lf_new, pos_new = _log_flux(ds_new)
        du = u_new[s] - u[s]
        if np.any(np.abs(du) > 1e-6 * np.array([pb.params[j].step for j in s])):
            jac = _broyden(jac, du, lf_new - lf_ref, pos_ref & pos_new)
        if chi2_new <= chi2_ref + 1e-6 * max(1.0, chi2_ref):
            u, ds_ref, chi2_ref = u_new, ds_new, chi2_new
        else:  # the linearisation overshot: shrink the trust region, keep the better point
            radius = min(radius, float(np.max(np.abs(du) / [pb.params[j].step for j in s]))) / 4
            if radius < 1e-3:
                message = "the linearised fit stalled: no step lowered the chi2"
                break
    else:
        if s:
            message = f"the linearised fit did not converge in {max_iterations} iterations"
    # the surrogate is exact at the solved point u: optimise the other parameters there, then
    # HESSE with everything free
    sur = _Linearised(pb, u, ds_ref, jac)
    m = _minuit(sur, pb, u, None, strategy)
    cheap = len(s) < len(pb.params)
    for j in s:
        m.fixed[j] = True
    if cheap:
        m.migrad()
    valid = bool(m.valid) if cheap else True
    u = np.array(m.values)
    for j in s:
        m.fixed[j] = False
    m.hesse()
    mm = None
    if minos:
        mm = _minuit(sur, pb, u, None, strategy)
        mm.migrad()
        mm.hesse()
        if mm.valid:
            mm.minos()
    return m, u, converged and valid, message, mm


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
        stderr). The same lines are logged at INFO on the ``escapade.fit.fit`` logger.
    priors : name -> (mean, sigma): a Gaussian prior on a free parameter, in natural units
        (``{"modulation.phi_gv": (0.6, 0.1)}``); adds ((value - mean) / sigma)^2 to the chi2
        and counts as one measurement in ndof.
    """
    t0 = time.perf_counter()
    from ..config import Config, load_config

    if not isinstance(cfg, Config):
        cfg = load_config(cfg)
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
    names = _as_list(data)
    if not names:
        raise FitError("no data to fit: give at least one data set, e.g. B/C:AMS-02")
    meas = [m if isinstance(m, Measurement) else load_measurement(str(m)) for m in names]
    free_names = [str(v) for v in _as_list(free)]
    pb = _Problem(
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
        m, u, valid, message, mm = _run_migrad(pb, strategy, minos)
    else:
        m, u, valid, message, mm = _run_linearised(pb, strategy, minos, tolerance, max_iterations)
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


def _result(pb: _Problem, m, u, valid, message, method, mm, t0, settings) -> FitResult:
    from scipy.stats import chi2 as chi2_dist

    ds, _ = pb.solution(u, reason="best fit")
    preds = pb.predictions(ds, u)
    total, per, norms = pb.like.evaluate(preds, pb.norms(u))
    prior_chi2 = pb.prior_chi2(u)
    total += prior_chi2
    pb.n_chi2 += 1
    phis = pb.phis(u)
    names = [p.name for p in pb.params]
    values, errors, log10, minos_err = {}, {}, {}, {}
    err_u = np.array(m.errors)
    for j, p in enumerate(pb.params):
        v = p.to_natural(u[j])
        values[p.name] = v
        errors[p.name] = v * math.log(10.0) * err_u[j] if p.log else float(err_u[j])
        log10[p.name] = p.log
    src = mm
    if src is not None:
        for j, p in enumerate(pb.params):
            me = src.merrors[p.name] if p.name in src.merrors else None
            if me is not None and me.is_valid:
                c = src.values[j]
                lo = p.to_natural(c + me.lower) - values[p.name]
                hi = p.to_natural(c + me.upper) - values[p.name]
                minos_err[p.name] = (float(lo), float(hi))
    try:
        cov_u = np.array(m.covariance)
        corr = np.array(m.covariance.correlation())
    except Exception:  # noqa: BLE001 - no covariance when HESSE failed
        cov_u = np.full((len(names), len(names)), np.nan)
        corr = cov_u.copy()
    d = np.array([values[p.name] * math.log(10.0) if p.log else 1.0 for p in pb.params])
    cov = cov_u * d[:, None] * d[None, :]
    n_phys = sum(1 for p in pb.params if p.kind != "norm")
    ndof = pb.like.n_points + len(pb.priors) - n_phys  # a prior counts as one measurement
    pval = float(chi2_dist.sf(total, ndof)) if ndof > 0 else math.nan
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
    prior_terms = [
        dict(
            name=pb.params[j].name,
            mean=mean,
            sigma=sigma,
            chi2=float(((pb.params[j].to_natural(u[j]) - mean) / sigma) ** 2),
        )
        for j, mean, sigma in pb.priors
    ]
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
    best_cfg = pb.config_at(u)
    ds = ds.copy()
    if pb.scale_index is not None:
        ds["flux_local"] = ds["flux_local"] * pb.scale(u)
        from ..config import dump_config

        ds.attrs["config_toml"] = dump_config(best_cfg)
    return FitResult(
        parameters=names,
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


# -------------------------------------------------------------------------------- figure


def _fmt(v: float) -> str:
    return "0" if abs(v) < 1e-9 else f"{v:.3g}"


def _figure(res: FitResult):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..observables.local import observable
    from ..plots import FLUX_POWER, X_LABELS, _axis

    groups: dict[tuple[str, str], list[int]] = {}
    for i, t in enumerate(res.data_terms):
        groups.setdefault((t.full.observable, t.full.x_kind), []).append(i)
    ncol = len(groups)
    fig, axes = plt.subplots(
        2,
        ncol,
        figsize=(5.2 * ncol, 5.4),
        sharex="col",
        squeeze=False,
        gridspec_kw={"height_ratios": [3, 1.3]},
        constrained_layout=True,
    )
    ds = smooth_flux(res.solution)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for c, ((obs, kind), idx) in enumerate(groups.items()):
        ax, axr = axes[0, c], axes[1, c]
        is_ratio = res.data_terms[idx[0]].full.is_ratio
        xmin = min(float(np.min(res.data_terms[i].full.x)) for i in idx) / 1.3
        xmax = max(float(np.max(res.data_terms[i].full.x)) for i in idx) * 1.3
        xs = np.geomspace(xmin, xmax, 200)
        xk = _axis(kind)
        w = 1.0 if is_ratio else xs**FLUX_POWER
        curves: dict[tuple[float, float], str] = {}  # one model curve per (phi, norm)
        for k, i in enumerate(idx):
            info = res.terms[i]
            key = (round(info["phi_gv"], 6), 1.0 if info["norm"] is None else info["norm"])
            curves.setdefault(key, colors[k % len(colors)] if len(idx) > 1 else "C0")
        single = len(curves) == 1
        for (phi, s), col in curves.items():
            mod = observable(ds, obs, phi, xk, xs).values * s
            lab = f"model, phi = {_fmt(phi)} GV" + (f", x {s:.3f}" if s != 1.0 else "")
            ax.plot(xs, w * mod, color="k" if single else col, lw=1.6, label=lab)
        lis = observable(ds, obs, 0.0, xk, xs).values
        ax.plot(xs, w * lis, color="0.5", lw=1.0, ls="--", label="model, interstellar")
        for k, i in enumerate(idx):
            t = res.data_terms[i]
            info = res.terms[i]
            col = colors[k % len(colors)]
            full = t.full
            xf = np.asarray(full.x, dtype=float)
            wf = 1.0 if is_ratio else xf**FLUX_POWER
            lo, hi = full.total_errors()
            inc = t.mask
            yw, low, high = wf * np.asarray(full.y), wf * lo, wf * hi
            lab = f"{t.name} ({info['n_points']} points, chi2 = {info['chi2']:.1f})"
            ax.errorbar(
                xf[inc],
                yw[inc],
                yerr=[low[inc], high[inc]],
                fmt="o",
                ms=3.2,
                lw=0.8,
                color=col,
                label=lab,
            )
            if (~inc).any():
                ax.errorbar(
                    xf[~inc],
                    yw[~inc],
                    yerr=[low[~inc], high[~inc]],
                    fmt="o",
                    ms=3.2,
                    lw=0.6,
                    mfc="none",
                    color=col,
                    alpha=0.5,
                )
            from ..observables.local import predict

            pred = predict(ds, t.data, info["phi_gv"])
            pulls = t.pulls(pred, info["norm"])
            axr.plot(np.asarray(t.data.x), pulls, "o", ms=3.2, color=col)
        axr.axhline(0.0, color="k", lw=0.8)
        for v in (-2, 2):
            axr.axhline(v, color="0.6", lw=0.6, ls=":")
        ax.set_xscale("log")
        if not is_ratio:
            ax.set_yscale("log")
        ax.set_ylabel(obs if is_ratio else f"x^{FLUX_POWER} x {obs} flux")
        ax.set_title(obs)
        ax.legend(fontsize=7, frameon=False)
        ax.grid(alpha=0.3, which="both", lw=0.4)
        axr.set_xlabel(X_LABELS[_axis(kind)])
        axr.set_ylabel("(data - model) / sigma")
        axr.grid(alpha=0.3, which="both", lw=0.4)
    pars = ", ".join(
        f"{p.split('.')[-1]} = {res.values[p]:.4g}" for p in res.parameters if "phi" not in p
    )
    title = textwrap.fill(f"{pars}   chi2/ndof = {res.chi2:.1f}/{res.ndof}", width=90)
    fig.suptitle(title, fontsize=9)
    return fig

"""Fit parameters: their names, limits and internal (log10) scale, and how they edit a config."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Union, get_args, get_origin

import numpy as np

from .likelihood import DataTerm

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
BAD_CHI2 = 1e12


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


def unknown_parameter(name: str, what: str = "fit parameter") -> FitError:
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
    if bracket(name, PHI_KEY) is not None or bracket(name, "norm") is not None:
        if not (bracket(name, PHI_KEY) or bracket(name, "norm")):
            raise FitError(f"{name!r}: name a data set or experiment between the brackets")
        return
    if name == PHI_KEY:
        return
    parts = name.split(".")
    head = ".".join(parts[:2])
    if len(parts) > 2:
        if head not in _ITEM_KEYS:
            raise unknown_parameter(name)
        return
    if name not in _numeric_config_keys():
        if name in _all_config_keys():
            raise FitError(
                f"{name!r} is not a real number, so it cannot be fitted; fix it (fix=, --fix)"
            )
        raise unknown_parameter(name)


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
    """A fixed or start value (``fix``/``start``, --fix/--start): a TOML literal
    (``0.6``, ``[300.0]``, ``true``) or a bare word."""
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


class ConfigEditor:
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
            raise unknown_parameter(name)
        section = Config.model_fields[parts[0]].annotation
        if parts[1] not in section.model_fields:  # type: ignore[union-attr]
            raise unknown_parameter(name)
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
                raise FitError(
                    f"{name!r} is a whole number, not a fit parameter; fix it (fix=, --fix)"
                )
            if not _is_real(ann):
                raise FitError(
                    f"{name!r} is not a number, so it cannot be fitted; fix it (fix=, --fix)"
                )
            lo, hi = _config_limits(parts[0], parts[1])
            return lo, hi, log
        item = ".".join(parts[2:])
        if head not in _ITEM_KEYS or not item:
            raise unknown_parameter(name)
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
                f"e.g. fix={{{head!r}: [300.0]}} (--fix {head}=[300.0])"
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
                raise FitError(
                    f"{name!r} has no numeric value in the config ({v!r}); "
                    "give a start value (start=, --start)"
                )
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


def is_cheap_name(k: str) -> bool:
    return k == PHI_KEY or bracket(k, PHI_KEY) is not None or bracket(k, "norm") is not None


def check_config_key(k: str) -> None:
    parts = k.split(".")
    Config = _config_model()
    if (
        len(parts) != 2
        or parts[0] not in Config.model_fields
        or parts[1] not in Config.model_fields[parts[0]].annotation.model_fields  # type: ignore[union-attr]
    ):
        raise unknown_parameter(k, "config key")


def _main(element: str) -> str:
    from .likelihood import MAIN_ISOTOPES

    return MAIN_ISOTOPES.get(element, element)


def _norm_name(s: str) -> str:
    return re.sub(r"[-_\s]", "", s).lower()


def bracket(name: str, prefix: str) -> str | None:
    if name.startswith(prefix + "[") and name.endswith("]"):
        return name[len(prefix) + 1 : -1].strip()
    return None


def match_terms(sel: str, terms: Sequence[DataTerm], name: str) -> list[int]:
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

"""The registry of measured tables, addressed as ``"OBSERVABLE:EXPERIMENT"``.

Every table shipped in ``escapade/data/cr/`` (verbatim copies of the project's
shared data, each with its provenance header) is addressed by observable and
experiment::

    from escapade.measurements import load_measurement, list_measurements
    m = load_measurement("B/C:AMS-02")      # vs rigidity, as AMS-02 published it
    m = load_measurement("B/C:HEAO-3")      # vs kinetic energy per nucleon
    m = load_measurement("C:HEAO-3")        # from the CRDB export of C fluxes
    m = load_measurement("pbar/p:AMS-02")   # built from the pbar and H tables
    m = load_measurement("my_table.csv")    # a user table (see :func:`load_csv`)

Names
-----
* Observables: element or isotope fluxes (``"H"`` alias ``"p"``, ``"He"``, ``"C"``,
  ``"12C"``, ``"pbar"``, ``"e+"``, ``"e-"``, ``"e+e-"``, ``"allParticle"``,
  ``"light"`` = H+He), ratios (``"B/C"``, ``"Be/B"``, ``"10Be/9Be"``, ``"pbar/p"``,
  ``"SubFe/Fe"`` = (Sc+Ti+V)/Fe), ``"posfraction"`` = e+/(e+ + e-).
* Experiments: KISS tables use the experiment of the file name (``AMS-02``,
  ``CALET``, ``CREAM``, ``DAMPE``, ``PAMELA``, ``TRACER``, ...). CRDB exports and the
  DRAGON2 tables name sub-experiments with their period (``HEAO3-C2(1979/10-1980/06)``);
  they are registered under a short name when it is unambiguous (``HEAO-3``,
  ``Voyager``, ``ATIC``, ``ACE-CRIS`` for 10Be/9Be, ``CREAM-II``, ``TRACER06`` when the
  KISS table holds the short name), otherwise under the full CRDB name
  (``C:ACE-CRIS(2009/03-2010/01)``). The knee-region tables of ``data/cr/knee/`` take the
  experiment of their header, spaces removed (``H:LHAASO(EPOS-LHC)``,
  ``He:KASCADE(Kuznetsov2024)``, ``H:GRAPES-3``, ``light:HAWC``; the name before the bracket
  is an alias). Full CRDB names always work as aliases, and the
  matching of experiment names ignores case, ``-``, ``_`` and spaces (``AMS02``).
* When one observable and experiment exists on several x axes, the plain name
  gives the axis the experiment published (rigidity for AMS-02, else kinetic
  energy per nucleon when available); the others are suffixed with ``@R``,
  ``@Ekn``, ``@Ek`` or ``@Etot`` (``"B/C:AMS-02@Ekn"``).

x axes (``Measurement.x_kind``): ``"ekin_per_n"`` [GeV/n], ``"rigidity"`` [GV],
``"ekin"`` (kinetic energy per particle) [GeV], ``"etot"`` (total energy) [GeV].
Fluxes are per unit of x in m^-2 s^-1 sr^-1; ratios are dimensionless.
Rows keep the order of the source file (a few compilations are not sorted in x).
Upper limits in CRDB exports are skipped.
"""

from __future__ import annotations

import difflib
import re
import warnings
from functools import lru_cache
from pathlib import Path

from .composite import pbar_over_p
from .formats import load_crdb, load_dragon, load_kiss
from .measurement import X_KIND_ALIASES, DataError, Measurement
from .tables import DATA_DIR, Entry, header_lines, header_value
from .user_tables import load_csv

_KIND_TAG = {"ekin_per_n": "Ekn", "rigidity": "R", "ekin": "Ek", "etot": "Etot"}
_TAG_KIND = {v.lower(): k for k, v in _KIND_TAG.items()}
_KISS_AXIS = {
    "rigidity": "rigidity",
    "kineticEnergyPerNucleon": "ekin_per_n",
    "kineticEnergy": "ekin",
    "totalEnergy": "etot",
}
_CRDB_AXIS = {"EKN": "ekin_per_n", "R": "rigidity", "EK": "ekin", "ETOT": "etot"}

_OBS_ALIASES = {
    "p": "H",
    "proton": "H",
    "p/he": "H/He",
    "pbar/h": "pbar/p",
    "e++e-": "e+e-",
    "e-+e+": "e+e-",
    "positron_fraction": "posfraction",
    "e+/(e++e-)": "posfraction",
    "(sc+ti+v)/fe": "SubFe/Fe",
    "sc+ti+v/fe": "SubFe/Fe",
}
# preferred short names of CRDB sub-experiment families
_FRIENDLY = {
    "HEAO3-C2": "HEAO-3",
    "Voyager1": "Voyager",
    "CREAM-II": "CREAM",
    "TRACER06": "TRACER",
    "ATIC02": "ATIC",
}
_EXP_ALIASES = {"ams": "AMS-02", "heao3c2": "HEAO-3", "heao": "HEAO-3"}


def _norm(s: str) -> str:
    return re.sub(r"[-_\s]", "", s).lower()


class _Registry:
    def __init__(self):
        self.entries: dict[tuple[str, str, str], Entry] = {}
        self.default_kind: dict[tuple[str, str], str] = {}
        self.exp_alias: dict[tuple[str, str], set[str]] = {}

    # -- building --------------------------------------------------------------
    def add(self, e: Entry) -> None:
        key = (e.observable, e.experiment, e.x_kind)
        if key in self.entries:
            raise DataError(f"duplicate measurement {key} from {e.path}")
        self.entries[key] = e

    def taken(self, obs: str, exp: str, kind: str | None = None) -> bool:
        if kind is None:
            return any(k[0] == obs and k[1] == exp for k in self.entries)
        return (obs, exp, kind) in self.entries

    def alias(self, obs: str, alias: str, exp: str) -> None:
        self.exp_alias.setdefault((obs, _norm(alias)), set()).add(exp)

    def finish(self) -> None:
        kinds: dict[tuple[str, str], list[str]] = {}
        for obs, exp, kind in self.entries:
            kinds.setdefault((obs, exp), []).append(kind)
            self.alias(obs, exp, exp)
        for (obs, exp), ks in kinds.items():
            if len(ks) == 1:
                self.default_kind[(obs, exp)] = ks[0]
                continue
            pref = ["rigidity"] if exp == "AMS-02" else []
            pref += ["ekin_per_n", "rigidity", "ekin", "etot"]
            self.default_kind[(obs, exp)] = next(k for k in pref if k in ks)
        # global experiment aliases (AMS -> AMS-02, ...) where the target exists
        for obs, exp in list(kinds):
            for a, target in _EXP_ALIASES.items():
                if target == exp:
                    self.alias(obs, a, exp)
        # canonical names win over aliases pointing elsewhere
        for obs, exp in kinds:
            self.exp_alias[(obs, _norm(exp))] = {exp}

    # -- queries ---------------------------------------------------------------
    def observables(self) -> list[str]:
        return sorted({k[0] for k in self.entries}, key=_sort_key)

    def experiments(self, obs: str) -> list[str]:
        return sorted({k[1] for k in self.entries if k[0] == obs}, key=str.lower)

    def names(self) -> list[str]:
        out = []
        for (obs, exp), dk in self.default_kind.items():
            out.append((obs, exp, None))
            for k in self.entries:
                if k[0] == obs and k[1] == exp and k[2] != dk:
                    out.append((obs, exp, k[2]))
        out.sort(key=lambda t: (_sort_key(t[0]), t[1].lower(), t[2] or ""))
        return [f"{o}:{e}" + (f"@{_KIND_TAG[k]}" if k else "") for o, e, k in out]

    def all_spellings(self) -> list[str]:
        names = set(self.names())
        for (obs, _a), exps in self.exp_alias.items():
            for exp in exps:
                names.add(f"{obs}:{exp}")
        return sorted(names)

    def resolve(self, name: str) -> Entry:
        s = str(name).strip()
        if ":" not in s:
            raise DataError(
                f"measurement {name!r}: expected 'OBSERVABLE:EXPERIMENT' (e.g. 'B/C:AMS-02') "
                f"or the path of a CSV table; observables: {', '.join(self.observables())}"
            )
        obs_in, exp_in = s.split(":", 1)
        obs_in, exp_in = obs_in.strip(), exp_in.strip()
        tag = None
        if "@" in exp_in:
            exp_in, tag = exp_in.rsplit("@", 1)
            exp_in = exp_in.strip()
        obs = self._resolve_observable(obs_in)
        if obs is None:
            raise DataError(
                f"unknown observable {obs_in!r} in {name!r}.{self._did_you_mean(s)} "
                f"Valid observables: {', '.join(self.observables())}. "
                "list_measurements() gives every OBSERVABLE:EXPERIMENT name."
            )
        exps = self.exp_alias.get((obs, _norm(exp_in)))
        if not exps:
            raise DataError(
                f"unknown measurement {name!r}: no experiment {exp_in!r} for {obs}."
                f"{self._did_you_mean(f'{obs}:{exp_in}')} Valid choices for {obs}: "
                f"{', '.join(self._names_for(obs))}"
            )
        if len(exps) > 1:
            raise DataError(
                f"measurement {name!r} is ambiguous: {exp_in!r} matches several data sets "
                f"for {obs}; choose one of: {', '.join(f'{obs}:{e}' for e in sorted(exps))}"
            )
        exp = next(iter(exps))
        if tag is None:
            kind = self.default_kind[(obs, exp)]
        else:
            kind = _TAG_KIND.get(tag.strip().lower()) or X_KIND_ALIASES.get(tag.strip().lower())
            if kind is None or (obs, exp, kind) not in self.entries:
                have = [
                    f"{obs}:{exp}@{_KIND_TAG[k[2]]}"
                    for k in self.entries
                    if k[0] == obs and k[1] == exp
                ]
                raise DataError(
                    f"measurement {name!r}: no x axis {tag!r} for {obs}:{exp}; "
                    f"available: {', '.join(have)}"
                )
        return self.entries[(obs, exp, kind)]

    def _resolve_observable(self, obs_in: str) -> str | None:
        known = self.observables()
        if obs_in in known:
            return obs_in
        a = _OBS_ALIASES.get(obs_in.replace(" ", "").lower())
        if a in known:
            return a
        low = [o for o in known if o.lower() == obs_in.lower()]
        return low[0] if len(low) == 1 else None

    def _names_for(self, obs: str) -> list[str]:
        return [n for n in self.names() if n.split(":", 1)[0] == obs]

    def _did_you_mean(self, s: str) -> str:
        close = difflib.get_close_matches(s, self.all_spellings(), n=3, cutoff=0.6)
        if not close:
            low = {n.lower(): n for n in self.all_spellings()}
            close = [
                low[c] for c in difflib.get_close_matches(s.lower(), list(low), n=3, cutoff=0.6)
            ]
        return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _sort_key(obs: str):
    return (obs.lower(),)


_KISS_RE = re.compile(
    r"^(?P<exp>[^_]+)_(?P<obs>.+)_(?P<axis>rigidity|kineticEnergyPerNucleon|kineticEnergy|"
    r"totalEnergy)\.txt$"
)


def _kiss_observable(obs: str) -> str:
    return obs.replace("_", "/")


def _crdb_subexps(path: Path) -> list[tuple[str, str, str]]:
    """(quantity, sub-experiment, axis) in order of first appearance."""
    seen: dict[tuple[str, str, str], None] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split()
            seen.setdefault((parts[0], parts[1], parts[2].upper()), None)
    return list(seen)


def _dragon_header(path: Path) -> tuple[str, str]:
    """(observable, sub-experiment) from the original header line of a DRAGON2 table."""
    lines = header_lines(path)
    try:
        i = next(k for k, ln in enumerate(lines) if ln.startswith("# Original header"))
    except StopIteration:
        raise DataError(f"{path}: no '# Original header' line") from None
    body = lines[i + 1].lstrip("#").strip()
    obs, _, rest = body.partition(" ")
    sub = rest.strip().split(" - Ref:")[0].strip()
    return obs, sub


def _family(subexp: str) -> str:
    return subexp.split("(")[0].split(" - ")[0].strip()


def _safe_exp(subexp: str) -> str:
    # "Balloon - several years" -> "Balloon(several-years)"
    if " - " in subexp and "(" not in subexp:
        fam, _, per = subexp.partition(" - ")
        return f"{fam.strip()}({per.strip().replace(' ', '-')})"
    return subexp.replace(" ", "")


def _add_subexp_group(reg: _Registry, items: list[Entry]) -> None:
    """Name CRDB/DRAGON sub-experiments: short name when free and unique, else full."""
    fam_count: dict[tuple[str, str], int] = {}
    for e in items:
        fam = _family(e.subexp)
        fam_count[(e.observable, fam)] = fam_count.get((e.observable, fam), 0) + 1
    for e in items:
        full = _safe_exp(e.subexp)
        fam = _family(e.subexp)
        unique = fam_count[(e.observable, fam)] == 1
        choices = []
        if unique:
            if fam in _FRIENDLY:
                choices.append(_FRIENDLY[fam])
            choices.append(fam)
        choices.append(full)
        # A short name already used (by a KISS table) is shared only on another x axis:
        # CRDB "C PAMELA(2006/07-2008/03)" (E_n) joins the KISS "C:PAMELA" (rigidity)
        # as "C:PAMELA@Ekn"; the same axis twice falls back to the longer name.
        for c in choices:
            if not reg.taken(e.observable, c, e.x_kind):
                e.experiment = c
                break
        else:  # pragma: no cover - full names are unique by construction
            raise DataError(f"cannot name {e.observable}:{full}")
        reg.add(e)
        # aliases; a family name shared by several periods becomes an ambiguous alias
        for a in {full, e.subexp, fam, _FRIENDLY.get(fam, fam)}:
            reg.alias(e.observable, a, e.experiment)


KNEE_DIR = DATA_DIR / "knee"
"""Verbatim KISS tables of the knee region (their provenance in ``knee/README.txt``)."""


def _add_knee(reg: _Registry) -> None:
    """The knee-region tables: observable, axis and experiment from each file's header (the
    experiment with its spaces removed, e.g. ``LHAASO(EPOS-LHC)``; the name before the
    bracket is an alias)."""
    for path in sorted(KNEE_DIR.glob("*.txt")):
        if path.name == "README.txt":
            continue
        head = header_lines(path)
        obs = header_value(head, "#Y Quantity:")
        axis = header_value(head, "#X Quantity:")
        exp = (header_value(head, "#Experiment:") or "").replace(" ", "")
        if not obs or axis not in _KISS_AXIS or not exp:
            raise DataError(f"{path}: a KISS table needs #Experiment, #Y and #X Quantity lines")
        reg.add(Entry(_kiss_observable(obs), exp, _KISS_AXIS[axis], "kiss", path))
        reg.alias(_kiss_observable(obs), exp.split("(")[0], exp)


@lru_cache(maxsize=1)
def _registry() -> _Registry:
    reg = _Registry()
    files = sorted(f for f in DATA_DIR.glob("*.txt") if f.name != "README.txt")
    dragon: list[Entry] = []
    crdb: list[Entry] = []
    for path in files:
        head = header_lines(path)
        if any("KISS-CosmicRayDataBase" in ln for ln in head[:3]):
            m = _KISS_RE.match(path.name)
            if not m:
                raise DataError(f"{path}: KISS table with an unexpected file name")
            reg.add(
                Entry(_kiss_observable(m["obs"]), m["exp"], _KISS_AXIS[m["axis"]], "kiss", path)
            )
        elif any(ln.startswith("# Columns (10)") for ln in head):
            obs, sub = _dragon_header(path)
            dragon.append(Entry(obs, "", "ekin_per_n", "dragon", path, sub))
        elif any("USINE" in ln for ln in head[:3]):
            for q, sub, axis in _crdb_subexps(path):
                if axis not in _CRDB_AXIS:
                    raise DataError(f"{path}: unknown energy axis {axis!r}")
                crdb.append(Entry(q, "", _CRDB_AXIS[axis], "crdb", path, sub, q))
        else:
            warnings.warn(f"{path}: not a known measured-table format; skipped", stacklevel=2)
    _add_subexp_group(reg, dragon)
    _add_subexp_group(reg, crdb)
    _add_knee(reg)
    if reg.taken("pbar", "AMS-02", "rigidity") and reg.taken("H", "AMS-02", "rigidity"):
        reg.add(Entry("pbar/p", "AMS-02", "rigidity", "derived"))
    reg.finish()
    return reg


def list_measurements(observable: str | None = None, experiment: str | None = None) -> list[str]:
    """Names ``"OBSERVABLE:EXPERIMENT"`` (``@axis`` for the non-default x axes) of the
    shipped tables, optionally only those of one observable and/or experiment."""
    reg = _registry()
    names = reg.names()
    if observable is not None:
        obs = reg._resolve_observable(observable)
        if obs is None:
            raise DataError(
                f"unknown observable {observable!r}; valid: {', '.join(reg.observables())}"
            )
        names = [n for n in names if n.split(":", 1)[0] == obs]
    if experiment is not None:
        ne = _norm(experiment)
        names = [n for n in names if _norm(n.split(":", 1)[1].split("@")[0]) == ne]
    return names


def list_observables() -> list[str]:
    """Observables for which a shipped table exists."""
    return _registry().observables()


def load_measurement(name) -> Measurement:
    """Load a measured table by name (``"B/C:AMS-02"``) or from a CSV file path.

    Raises :class:`DataError` (a ``ValueError``) for an unknown name, listing the
    valid choices with a did-you-mean suggestion.
    """
    if isinstance(name, Path) or str(name).lower().endswith(".csv"):
        return load_csv(name)
    reg = _registry()
    e = reg.resolve(str(name))
    return _cached_load(e.observable, e.experiment, e.x_kind)


_LOADERS = {"kiss": load_kiss, "dragon": load_dragon, "crdb": load_crdb}


@lru_cache(maxsize=256)
def _cached_load(obs: str, exp: str, kind: str) -> Measurement:
    reg = _registry()
    e = reg.entries[(obs, exp, kind)]
    if e.kind == "derived":
        m = pbar_over_p(
            load_kiss(reg.entries[("pbar", "AMS-02", "rigidity")]),
            load_kiss(reg.entries[("H", "AMS-02", "rigidity")]),
        )
    else:
        m = _LOADERS[e.kind](e)
    tag = "" if reg.default_kind[(obs, exp)] == kind else f"@{_KIND_TAG[kind]}"
    m.meta["name"] = f"{obs}:{exp}{tag}"
    for arr in (m.x, m.y, m.stat_lo, m.stat_hi, m.syst_lo, m.syst_hi, m.x_lo, m.x_hi):
        if arr is not None:
            arr.setflags(write=False)
    return m

"""Measured cosmic-ray tables: a registry addressed as ``"OBSERVABLE:EXPERIMENT"``.

Every table shipped in ``escapade/data/cr/`` (verbatim copies of the project's
shared data, each with its provenance header) is addressed by observable and
experiment::

    from escapade.fit import load_measurement, list_measurements
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
  (``C:ACE-CRIS(2009/03-2010/01)``). Full CRDB names always work as aliases, and the
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
import math
import re
import warnings
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "DATA_DIR",
    "DataError",
    "Measurement",
    "X_KINDS",
    "list_measurements",
    "list_observables",
    "load_csv",
    "load_measurement",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "cr"
"""Folder of the shipped measured tables."""

X_KINDS: tuple[str, ...] = ("ekin_per_n", "rigidity", "ekin", "etot")
"""Allowed ``Measurement.x_kind`` values."""

_X_UNITS = {"ekin_per_n": "GeV/n", "rigidity": "GV", "ekin": "GeV", "etot": "GeV"}
_FLUX_UNITS = {
    "ekin_per_n": "m^-2 s^-1 sr^-1 (GeV/n)^-1",
    "rigidity": "m^-2 s^-1 sr^-1 GV^-1",
    "ekin": "m^-2 s^-1 sr^-1 GeV^-1",
    "etot": "m^-2 s^-1 sr^-1 GeV^-1",
}
_KIND_TAG = {"ekin_per_n": "Ekn", "rigidity": "R", "ekin": "Ek", "etot": "Etot"}
_TAG_KIND = {v.lower(): k for k, v in _KIND_TAG.items()}
_X_KIND_ALIASES = {
    "ekin_per_n": "ekin_per_n",
    "ekn": "ekin_per_n",
    "kineticenergypernucleon": "ekin_per_n",
    "ekin_gev_per_n": "ekin_per_n",
    "rigidity": "rigidity",
    "r": "rigidity",
    "rigidity_gv": "rigidity",
    "ekin": "ekin",
    "ek": "ekin",
    "kineticenergy": "ekin",
    "etot": "etot",
    "totalenergy": "etot",
}
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

_CSV_COLUMNS = ("x", "y", "stat_lo", "stat_up", "sys_lo", "sys_up")


class DataError(ValueError):
    """A measurement name that is not known, or a table that cannot be read."""


# ----------------------------------------------------------------------------------
# the Measurement record
# ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Measurement:
    """One measured table.

    Attributes
    ----------
    observable, experiment : the two halves of the name ``"OBSERVABLE:EXPERIMENT"``.
    x : bin-representative x values (units :attr:`x_units`).
    x_kind : ``"ekin_per_n"`` | ``"rigidity"`` | ``"ekin"`` | ``"etot"``.
    y : measured values (flux per unit of x in m^-2 s^-1 sr^-1, or a ratio).
    stat_lo, stat_hi, syst_lo, syst_hi : errors (positive magnitudes).
    units : units of y (``"1"`` for ratios).
    citation : original publication and provenance (repository, path, commit).
    source : shipped file(s) the table was read from.
    x_lo, x_hi : bin edges where the source gives them, NaN otherwise (or None).
    meta : extra information (registry ``name``, CRDB ``phi_mv`` modulation levels of
        the data set as given by CRDB, ADS bibcodes, ...).
    """

    observable: str
    experiment: str
    x: np.ndarray
    x_kind: str
    y: np.ndarray
    stat_lo: np.ndarray
    stat_hi: np.ndarray
    syst_lo: np.ndarray
    syst_hi: np.ndarray
    units: str
    citation: str
    source: str = ""
    x_lo: np.ndarray | None = None
    x_hi: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``OBSERVABLE:EXPERIMENT`` (with ``@axis`` for a non-default x axis)."""
        return self.meta.get("name") or f"{self.observable}:{self.experiment}"

    @property
    def x_units(self) -> str:
        return _X_UNITS[self.x_kind]

    @property
    def is_ratio(self) -> bool:
        return self.units == "1"

    def __len__(self) -> int:
        return int(np.asarray(self.x).size)

    def __repr__(self) -> str:
        return (
            f"Measurement({self.name!r}, {len(self)} points, x_kind={self.x_kind!r}, "
            f"x={float(np.min(self.x)):.4g}..{float(np.max(self.x)):.4g} {self.x_units}, "
            f"units={self.units!r})"
        )

    def total_errors(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) errors, statistical and systematic added in quadrature."""
        return np.hypot(self.stat_lo, self.syst_lo), np.hypot(self.stat_hi, self.syst_hi)

    def sigma(self) -> np.ndarray:
        """Symmetrised total error: mean of the lower and upper quadrature sums."""
        lo, hi = self.total_errors()
        return 0.5 * (lo + hi)

    def select(self, mask) -> Measurement:
        """A copy restricted to the rows where ``mask`` (boolean array) is true."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != np.asarray(self.x).shape:
            raise DataError(f"{self.name}: mask has shape {mask.shape}, data {self.x.shape}")

        def cut(a):
            return None if a is None else np.asarray(a)[mask]

        return replace(
            self,
            x=cut(self.x),
            y=cut(self.y),
            stat_lo=cut(self.stat_lo),
            stat_hi=cut(self.stat_hi),
            syst_lo=cut(self.syst_lo),
            syst_hi=cut(self.syst_hi),
            x_lo=cut(self.x_lo),
            x_hi=cut(self.x_hi),
        )

    def x_rigidity_gv(self, species: str) -> np.ndarray:
        """The x values expressed as rigidity [GV] for a reference species (e.g. ``"12C"``).

        Useful to apply a rigidity cut to data published vs energy (B/C vs E_n: use
        ``"12C"``). Isotope names, ``"pbar"``, ``"e-"``, ``"e+"`` are accepted.
        """
        from ..observables.local import particle

        nuc = particle(species)
        x = np.asarray(self.x, dtype=float)
        if self.x_kind == "rigidity":
            return x.copy()
        if self.x_kind == "ekin_per_n":
            e_n = x
        elif self.x_kind == "ekin":
            e_n = x / nuc.a
        else:
            e_n = (x - nuc.mass_gev) / nuc.a
        return nuc.rigidity_gv(e_n)


# ----------------------------------------------------------------------------------
# low-level readers
# ----------------------------------------------------------------------------------
def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR.parent.parent))
    except ValueError:
        return str(path)


def _read_numeric_rows(path: Path, ncols: int) -> list[tuple[int, list[float]]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            if len(parts) != ncols:
                raise DataError(f"{path}:{lineno}: expected {ncols} columns, found {len(parts)}")
            try:
                rows.append((lineno, [float(v) for v in parts]))
            except ValueError:
                raise DataError(f"{path}:{lineno}: not a number in {s!r}") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    return rows


def _header_lines(path: Path) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                out.append(line.rstrip("\n"))
            elif line.strip():
                break
    return out


def _header_value(lines: list[str], prefix: str) -> str | None:
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix) :].strip()
    return None


# ----------------------------------------------------------------------------------
# registry
# ----------------------------------------------------------------------------------
@dataclass
class _Entry:
    observable: str
    experiment: str
    x_kind: str
    kind: str  # "kiss" | "dragon" | "crdb" | "derived"
    path: Path | None = None
    subexp: str | None = None  # CRDB / DRAGON sub-experiment name
    quantity: str | None = None  # CRDB quantity (column 1)


def _norm(s: str) -> str:
    return re.sub(r"[-_\s]", "", s).lower()


class _Registry:
    def __init__(self):
        self.entries: dict[tuple[str, str, str], _Entry] = {}
        self.default_kind: dict[tuple[str, str], str] = {}
        self.exp_alias: dict[tuple[str, str], set[str]] = {}

    # -- building --------------------------------------------------------------
    def add(self, e: _Entry) -> None:
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

    def resolve(self, name: str) -> _Entry:
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
            kind = _TAG_KIND.get(tag.strip().lower()) or _X_KIND_ALIASES.get(tag.strip().lower())
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
    lines = _header_lines(path)
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


def _add_subexp_group(reg: _Registry, items: list[_Entry]) -> None:
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


@lru_cache(maxsize=1)
def _registry() -> _Registry:
    reg = _Registry()
    files = sorted(f for f in DATA_DIR.glob("*.txt") if f.name != "README.txt")
    dragon: list[_Entry] = []
    crdb: list[_Entry] = []
    for path in files:
        head = _header_lines(path)
        if any("KISS-CosmicRayDataBase" in ln for ln in head[:3]):
            m = _KISS_RE.match(path.name)
            if not m:
                raise DataError(f"{path}: KISS table with an unexpected file name")
            reg.add(
                _Entry(_kiss_observable(m["obs"]), m["exp"], _KISS_AXIS[m["axis"]], "kiss", path)
            )
        elif any(ln.startswith("# Columns (10)") for ln in head):
            obs, sub = _dragon_header(path)
            dragon.append(_Entry(obs, "", "ekin_per_n", "dragon", path, sub))
        elif any("USINE" in ln for ln in head[:3]):
            for q, sub, axis in _crdb_subexps(path):
                if axis not in _CRDB_AXIS:
                    raise DataError(f"{path}: unknown energy axis {axis!r}")
                crdb.append(_Entry(q, "", _CRDB_AXIS[axis], "crdb", path, sub, q))
        else:
            warnings.warn(f"{path}: not a known measured-table format; skipped", stacklevel=2)
    _add_subexp_group(reg, dragon)
    _add_subexp_group(reg, crdb)
    if reg.taken("pbar", "AMS-02", "rigidity") and reg.taken("H", "AMS-02", "rigidity"):
        reg.add(_Entry("pbar/p", "AMS-02", "rigidity", "derived"))
    reg.finish()
    return reg


# ----------------------------------------------------------------------------------
# loaders per format
# ----------------------------------------------------------------------------------
def _units_from_kiss(head: list[str], x_kind: str) -> str:
    y = _header_value(head, "# y = ") or ""
    if "ratio" in y:
        return "1"
    m = re.search(r"\[(.*)\]", y)
    return m.group(1) if m else _FLUX_UNITS[x_kind]


def _load_kiss(e: _Entry) -> Measurement:
    head = _header_lines(e.path)
    rows = _read_numeric_rows(e.path, 6)
    a = np.array([r for _, r in rows])
    ref = _header_value(head, "#Ref:") or "?"
    src = _header_value(head, "#Source:") or "?"
    taken = _header_value(head, "# Taken from:") or ""
    how = "CRDB export" if src == "CRDB" else "tables transcribed from the paper"
    citation = f"{e.experiment}, {ref}; via KISS-CosmicRayDataBase ({how}); {taken}" + (
        "; CRDB: Maurin, Melot & Taillet 2014 A&A 569 A32" if src == "CRDB" else ""
    )
    nan = np.full(len(a), np.nan)
    return Measurement(
        e.observable,
        e.experiment,
        a[:, 0],
        e.x_kind,
        a[:, 1],
        np.abs(a[:, 2]),
        np.abs(a[:, 3]),
        np.abs(a[:, 4]),
        np.abs(a[:, 5]),
        _units_from_kiss(head, e.x_kind),
        citation,
        _rel(e.path),
        nan,
        nan.copy(),
        {"format": "kiss", "ref": ref},
    )


def _load_dragon(e: _Entry) -> Measurement:
    head = _header_lines(e.path)
    rows = _read_numeric_rows(e.path, 10)
    a = np.array([r for _, r in rows])
    x, lo, hi = a[:, 0], a[:, 1].copy(), a[:, 2].copy()
    no_edges = ((lo == 0) & (hi == 0)) | ((lo == x) & (hi == x))
    lo[no_edges] = np.nan
    hi[no_edges] = np.nan
    pub = _header_value(head, "# Publication:") or "?"
    src = _header_value(head, "# Source:") or ""
    citation = f"{e.subexp}: {pub}; {src}"
    units = "1" if "/" in e.observable else _FLUX_UNITS[e.x_kind]
    return Measurement(
        e.observable,
        e.experiment,
        x,
        e.x_kind,
        a[:, 3],
        np.abs(a[:, 4]),
        np.abs(a[:, 5]),
        np.abs(a[:, 6]),
        np.abs(a[:, 7]),
        units,
        citation,
        _rel(e.path),
        lo,
        hi,
        {"format": "dragon2-crdb", "subexp": e.subexp},
    )


def _load_crdb(e: _Entry) -> Measurement:
    head = _header_lines(e.path)
    vals, bib, phi = [], [], []
    with open(e.path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.startswith("#") or not line.strip():
                continue
            p = line.split()
            if len(p) != 16:
                raise DataError(f"{e.path}:{lineno}: expected 16 columns, found {len(p)}")
            if p[0] != e.quantity or p[1] != e.subexp:
                continue
            if p[15] == "1":  # upper limit
                continue
            try:
                vals.append([float(v) for v in p[3:11]])
                phi.append(float(p[12]))
            except ValueError:
                raise DataError(f"{e.path}:{lineno}: not a number in {line.strip()!r}") from None
            bib.append(p[11].replace("%26", "&"))
    if not vals:
        raise DataError(f"{e.path}: no rows for {e.quantity} {e.subexp}")
    a = np.array(vals)
    x, lo, hi = a[:, 0], a[:, 1].copy(), a[:, 2].copy()
    no_edges = (lo == hi) | (lo == 0)
    lo[no_edges] = np.nan
    hi[no_edges] = np.nan
    src = _header_value(head, "# Source:") or ""
    bibs = list(dict.fromkeys(bib))
    citation = (
        f"{e.subexp}: ADS {', '.join(bibs)}; CRDB export 2019 (Maurin, Melot & Taillet 2014 "
        f"A&A 569 A32); {src}"
    )
    units = "1" if "/" in e.quantity else _FLUX_UNITS[e.x_kind]
    return Measurement(
        e.observable,
        e.experiment,
        x,
        e.x_kind,
        a[:, 3],
        np.abs(a[:, 4]),
        np.abs(a[:, 5]),
        np.abs(a[:, 6]),
        np.abs(a[:, 7]),
        units,
        citation,
        _rel(e.path),
        lo,
        hi,
        {"format": "crdb-usine", "subexp": e.subexp, "ads": bibs, "phi_mv": sorted(set(phi))},
    )


def _load_pbar_over_p(e: _Entry) -> Measurement:
    """pbar/p from the AMS-02 pbar and H tables of the same publication.

    Their rigidity bins coincide up to 80.5 GV (same representative values); above,
    the pbar bins are wider and their edges do not all fall on p-bin edges. There
    the p flux averaged over the pbar bin is taken as the log-log interpolation of
    the p table at the pbar representative rigidity: KISS computes every
    representative value as the point where a power law R^-2.7 equals its bin
    average (checked: 1.00-1.16 GV -> 1.076 GV, 1130-1800 GV -> 1417 GV), so for the
    p spectrum (index 2.7-2.9 there) this is the bin average to ~0.1 %. Relative
    errors of p are interpolated the same way (conservative for merged bins).
    Relative errors of the two fluxes are added in quadrature.
    """
    reg = _registry()
    pb = _load_kiss(reg.entries[("pbar", "AMS-02", "rigidity")])
    p = _load_kiss(reg.entries[("H", "AMS-02", "rigidity")])
    lxp = np.log(p.x)
    fp = np.empty(len(pb))
    rel = {k: np.empty(len(pb)) for k in ("stat_lo", "stat_hi", "syst_lo", "syst_hi")}
    same = []
    for k, xk in enumerate(pb.x):
        hit = np.flatnonzero(np.abs(p.x / xk - 1.0) < 1e-3)
        if hit.size:
            i = int(hit[0])
            fp[k] = p.y[i]
            for name in rel:
                rel[name][k] = getattr(p, name)[i] / p.y[i]
            same.append(k)
            continue
        if not p.x[0] <= xk <= p.x[-1]:
            raise DataError(f"pbar/p:AMS-02: pbar bin at {xk:g} GV outside the p table")
        fp[k] = math.exp(np.interp(math.log(xk), lxp, np.log(p.y)))
        for name in rel:
            rel[name][k] = np.interp(math.log(xk), lxp, getattr(p, name) / p.y)
    r = pb.y / fp
    stat_lo = r * np.hypot(pb.stat_lo / pb.y, rel["stat_lo"])
    stat_hi = r * np.hypot(pb.stat_hi / pb.y, rel["stat_hi"])
    syst_lo = r * np.hypot(pb.syst_lo / pb.y, rel["syst_lo"])
    syst_hi = r * np.hypot(pb.syst_hi / pb.y, rel["syst_hi"])
    wider = [k for k in range(len(pb)) if k not in same]
    citation = (
        "pbar/p formed by escapade from the AMS-02 pbar and H (proton) flux tables "
        f"(Aguilar et al. 2021 PhR 894 1): [{pb.citation}] / [{p.citation}]. "
        f"{len(same)} bins identical in both tables; for the {len(wider)} wider pbar bins "
        "above 80.5 GV the p flux is the power-law (log-log) interpolation of the p table "
        "at the pbar bin's representative rigidity (= its R^-2.7 bin-average point); "
        "relative errors added in quadrature."
    )
    nan = np.full(len(pb), np.nan)
    return Measurement(
        "pbar/p",
        "AMS-02",
        pb.x.copy(),
        "rigidity",
        r,
        stat_lo,
        stat_hi,
        syst_lo,
        syst_hi,
        "1",
        citation,
        f"{pb.source} + {p.source}",
        nan,
        nan.copy(),
        {"format": "derived", "identical_bins": same, "interpolated_bins": wider},
    )


_LOADERS = {
    "kiss": _load_kiss,
    "dragon": _load_dragon,
    "crdb": _load_crdb,
    "derived": _load_pbar_over_p,
}


# ----------------------------------------------------------------------------------
# user CSV tables
# ----------------------------------------------------------------------------------
def load_csv(path, observable: str | None = None, experiment: str | None = None) -> Measurement:
    """Read a user table in the CSV layout of the shipped KISS tables.

    Layout::

        # x_kind: rigidity           (required: ekin_per_n | rigidity | ekin | etot)
        # observable: B/C            (or the ``observable`` argument)
        # experiment: MyExperiment   (default: the file name without extension)
        # units: 1                   (optional; default 1 for ratios, else flux per x)
        # citation: ...              (optional)
        x,y,stat_lo,stat_up,sys_lo,sys_up     (optional column header line)
        2.0,0.287,0.0013,0.0013,0.0159,0.0159
        ...

    Header lines are ``# key: value`` (or ``key = value``). Errors are positive
    magnitudes. Raises :class:`DataError` naming the file and the line for a wrong
    column count, a value that is not a number, NaN or infinity, a negative error,
    x <= 0 or x not strictly increasing.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    meta: dict[str, str] = {}
    rows: list[tuple[int, list[float]]] = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for lineno, raw in enumerate(lines, start=1):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("#"):
            body = s.lstrip("#").strip()
            m = re.match(r"^([A-Za-z_]+)\s*[:=]\s*(.*)$", body)
            if m:
                meta[m.group(1).lower()] = m.group(2).strip()
            continue
        parts = [p.strip() for p in s.split(",")]
        if not rows and parts and parts[0].lower() == "x":
            names = tuple(p.lower() for p in parts)
            if names != _CSV_COLUMNS:
                raise DataError(
                    f"{path}:{lineno}: column header {s!r}; expected {','.join(_CSV_COLUMNS)}"
                )
            continue
        if len(parts) != len(_CSV_COLUMNS):
            raise DataError(
                f"{path}:{lineno}: expected {len(_CSV_COLUMNS)} comma-separated columns "
                f"({','.join(_CSV_COLUMNS)}), found {len(parts)}"
            )
        vals = []
        for col, p in zip(_CSV_COLUMNS, parts, strict=True):
            try:
                v = float(p)
            except ValueError:
                raise DataError(f"{path}:{lineno}: column {col!r} is not a number: {p!r}") from None
            if not math.isfinite(v):
                raise DataError(f"{path}:{lineno}: column {col!r} is {p} (NaN or infinite)")
            if col not in ("x", "y") and v < 0:
                raise DataError(
                    f"{path}:{lineno}: negative error {v:g} in column {col!r}; give errors "
                    "as positive magnitudes"
                )
            vals.append(v)
        if vals[0] <= 0:
            raise DataError(f"{path}:{lineno}: x = {vals[0]:g} must be positive")
        if rows and vals[0] <= rows[-1][1][0]:
            raise DataError(
                f"{path}:{lineno}: x = {vals[0]:g} is not larger than x = {rows[-1][1][0]:g} "
                f"on line {rows[-1][0]}; rows must have strictly increasing x"
            )
        rows.append((lineno, vals))
    kind_in = meta.get("x_kind")
    if kind_in is None:
        raise DataError(
            f"{path}: no header line naming x_kind (e.g. '# x_kind: rigidity'); "
            f"allowed: {', '.join(X_KINDS)}"
        )
    kind = _X_KIND_ALIASES.get(kind_in.replace(" ", "").lower())
    if kind is None:
        raise DataError(f"{path}: unknown x_kind {kind_in!r}; allowed: {', '.join(X_KINDS)}")
    obs = observable or meta.get("observable")
    if not obs:
        raise DataError(f"{path}: no observable (header '# observable: B/C' or argument)")
    if not rows:
        raise DataError(f"{path}: no data rows")
    exp = experiment or meta.get("experiment") or path.stem
    units = meta.get("units") or ("1" if "/" in obs or obs == "posfraction" else _FLUX_UNITS[kind])
    a = np.array([r for _, r in rows])
    nan = np.full(len(a), np.nan)
    return Measurement(
        obs,
        exp,
        a[:, 0],
        kind,
        a[:, 1],
        a[:, 2],
        a[:, 3],
        a[:, 4],
        a[:, 5],
        units,
        meta.get("citation", f"user table {path}"),
        str(path),
        nan,
        nan.copy(),
        {"format": "csv"},
    )


# ----------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------
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


@lru_cache(maxsize=256)
def _cached_load(obs: str, exp: str, kind: str) -> Measurement:
    e = _registry().entries[(obs, exp, kind)]
    m = _LOADERS[e.kind](e)
    reg = _registry()
    tag = "" if reg.default_kind[(obs, exp)] == kind else f"@{_KIND_TAG[kind]}"
    m.meta["name"] = f"{obs}:{exp}{tag}"
    for arr in (m.x, m.y, m.stat_lo, m.stat_hi, m.syst_lo, m.syst_hi, m.x_lo, m.x_hi):
        if arr is not None:
            arr.setflags(write=False)
    return m

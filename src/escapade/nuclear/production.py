"""Isotopic production (fragmentation) cross sections of CR nuclei on H and He.

Named, cited sets, selected by name (``[nuclear] production``). Every value is
*cumulative*: the production of a cosmic-ray species includes that of the
short-lived nuclei ("ghosts") whose decays end on it (see
:mod:`escapade.nuclear.decays` for which nuclides are CR species and how ghosts
decay). Straight-ahead approximation: the fragment keeps the projectile's kinetic
energy per nucleon.

``"galprop12"``
    GALPROP v56 cross-section option 12 (Moskalenko, Strong, Mashnik et al.;
    Moskalenko & Mashnik 2003, ICRC 4, 1969), tabulated by Genolini et al. (PRC 98,
    034611, 2018) for USINE (Maurin 2020, CPC 247, 106942):
    ``production_GALPROP17_OPT12_USINE.csv``. 5570 rows: parents 4He..58Fe (76
    nuclides, none heavier than A = 58: 58Ni, 59Co, 59Ni, 60Fe, 60Ni, 61Ni, 62Ni,
    64Ni and 6Li have no channels), daughters 2H..56Fe, all CR species of the
    USINE chart (already cumulative); H **and** He targets tabulated;
    41 log-spaced energies 0.01-10 GeV/n.
``"evoli2019"``
    The DRAGON2 default cumulative table on H (Evoli et al. 2018, JCAP 07, 006;
    version of Evoli, Aloisio & Blasi 2019, PRD 99, 103023):
    ``fragmentation_Evoli2019_DRAGON2_cumulative_H.csv``, 187 channels from 19
    parents (7Li..32S and 56Fe) into 19 daughters (6Li..32S), 160 log-spaced
    energies 10 MeV/n - 1 TeV/n (the file gives T in **MeV/n**; converted here).
    **He target**: sigma_He = sigma_H * epsilon, with epsilon the He/H ratio of
    Ferrando et al. 1988 (PRC 37, 1490) as coded in GALPROP's ``He_to_H_CS``
    (Moskalenko 2000; :func:`he_to_h_ratio_ferrando88`), which is what DRAGON2 does
    with this table. The same function reproduces the He rows of the USINE WKS98
    tabulation from its H rows to 2e-6, and GALPROP option 12 uses it too. Beware:
    for large charge changes from heavy parents it grows far beyond geometric
    scaling below ~0.5 GeV/n (56Fe -> 16O: epsilon = 34 at 0.1 GeV/n, 3.0 above
    1.5 GeV/n; the galprop12 He rows show the same). Channels the table does not
    list are taken from ``galprop12`` (both targets), as DRAGON2 takes them from
    other models;
    :meth:`ProductionSet.source_of` tells which.
``"wks98"``
    Webber, Kish & Schrier semi-empirical formulae (PRC 41, 566 (1990), 1998
    update), tabulated by Genolini for USINE with ghosts **separate**:
    ``production_WKS98_ghosts_separate_USINE.csv``. 1984 rows: parents 9Be..30Si
    (25 nuclides; the header's REF line says "Z=4-30" but the file has no parent
    above Si), daughters Z = 4-14 including 74 short-lived
    ones; H and He targets; 0.01-10 GeV/n. Ghosts are folded here with the decay
    tables (and the isobar rule for the 65 ghosts neither table lists, e.g. 15O,
    13N, 24Na, 28Al; 8B, A = 8, cannot be folded and is dropped: up to 2.6 mb from
    10B and 11B, < 0.003 mb from heavier parents).
    Channels not in the table (parents heavier than Si, daughters below Be) come
    from ``galprop12``.

Light nuclei, ``"coste12"`` (merged into every set unless ``light=False``):
Coste, Derome, Maurin & Putze 2012 (A&A 539, A88), ``production_Coste12_light_USINE.csv``:
4He -> 3He, 2H, 1H; 3He -> 2H, 1H; 2H -> 1H; 1H -> 2H (p p -> d pi+), on H and He,
0.01-10 GeV/n. They replace the same channels of the main set. The file has no
3H row; 3H (12.3 yr) is a ghost of 3He, so 3He is taken as cumulative.

The USINE headers print the energy grid to 6 significant digits (relative error
< 4e-6 against EknMIN * D^i); those printed values are used as the nodes.

Interpolation: linear in ln(E_kin/n) between the tabulated nodes; beyond the table
ends the end value is held constant (fragmentation cross sections are nearly
energy independent above a few GeV/n -- the factorisation/limiting-fragmentation
regime -- and below 10 MeV/n ionisation losses dominate). Zeros in the tables
(thresholds) are kept: a channel can be zero at low energy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from ..species import nuclide
from .crosssections import TARGETS, CrossSectionError, _read_header_value
from .decays import (
    DEFAULT_THRESHOLD_MYR,
    DecayError,
    fold_target,
    is_cr_species,
    nuclide_name,
)

PRODUCTION_SETS = ("evoli2019", "galprop12", "wks98")
"""Names accepted by :func:`production_mb` and :func:`channels`."""

LIGHT_SET = "coste12"

FALLBACK = {"evoli2019": "galprop12", "galprop12": None, "wks98": "galprop12"}
"""Set that supplies the channels a set does not tabulate."""

_FILES = {
    "evoli2019": "fragmentation_Evoli2019_DRAGON2_cumulative_H.csv",
    "galprop12": "production_GALPROP17_OPT12_USINE.csv",
    "wks98": "production_WKS98_ghosts_separate_USINE.csv",
    "coste12": "production_Coste12_light_USINE.csv",
}

ZA = tuple[int, int]
Channel = tuple[ZA, ZA]


def _za(x) -> ZA:
    """(Z, A) from a tuple or an isotope name such as ``"12C"``."""
    if isinstance(x, str):
        n = nuclide(x)
        return (n.z, n.a)
    z, a = x
    return (int(z), int(a))


def _read(name: str) -> str:
    return resources.files("escapade.data.xsec").joinpath(name).read_text(encoding="utf-8")


@cache
def usine_production_table(set_name: str) -> tuple[np.ndarray, dict[tuple, np.ndarray]]:
    """Raw USINE-format production table: Ekn grid (GeV/n) and rows per
    (Z_p, A_p, Z_d, A_d, target) in mb, exactly as in the file."""
    lines = _read(_FILES[set_name]).splitlines()
    grid = np.array(_read_header_value(lines, "Ekn_GeV_per_n:").split(), dtype=float)
    rows: dict[tuple, np.ndarray] = {}
    data = [ln for ln in lines if ln and not ln.startswith("#")]
    for ln in data[1:]:
        p = ln.rstrip(",").split(",")
        vals = np.array(p[5:], dtype=float)
        if vals.size != grid.size:
            raise CrossSectionError(f"{_FILES[set_name]}: row {p[:5]} has {vals.size} values")
        rows[(int(p[0]), int(p[1]), int(p[2]), int(p[3]), p[4].strip())] = vals
    return grid, rows


@cache
def evoli2019_table() -> dict[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray]]:
    """Raw DRAGON2 table: (Z_p, A_p, Z_d, A_d) -> (T in GeV/n, sigma_H in mb)."""
    lines = [ln for ln in _read(_FILES["evoli2019"]).splitlines() if ln and ln[0] != "#"]
    arr = np.loadtxt(lines[1:], delimiter=",", ndmin=2)  # lines[0]: column names
    key = arr[:, :4].astype(int)
    t_gev = arr[:, 4] * 1.0e-3  # MeV/n -> GeV/n
    sig = arr[:, 5]
    out: dict[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray]] = {}
    # rows are grouped by channel in increasing energy
    change = np.flatnonzero(np.any(np.diff(key, axis=0) != 0, axis=1)) + 1
    for lo, hi in zip(np.r_[0, change], np.r_[change, len(key)], strict=True):
        k = tuple(int(v) for v in key[lo])
        if k in out:
            raise CrossSectionError(f"{_FILES['evoli2019']}: channel {k} is split in the file")
        out[k] = (t_gev[lo:hi], sig[lo:hi])
    return out


# -- He/H scaling of Ferrando et al. 1988 ---------------------------------------------------
_F88_E = (0.43, 0.73, 1.51)  # GeV/n
_F88_DELTA = (2.45, 3.45, 4.40)
_F88_MU = (0.082, 0.047, 0.031)
_F88_Z = (6.0, 8.0, 26.0)
_F88_F = (-0.76, -0.41, 1.00)


def _lin(x, x1, x2, f1, f2):
    return ((f1 - f2) * x + x1 * f2 - x2 * f1) / (x1 - x2)


def he_to_h_ratio_ferrando88(ekin_gev_per_n, z_parent: int, z_daughter: int) -> np.ndarray:
    """sigma(He + P -> F) / sigma(H + P -> F) of Ferrando et al. 1988 (PRC 37, 1490).

    epsilon = exp(mu(E) |dZ - F(Z_P) Delta(E)|^1.43), dZ = Z_P - Z_F, with mu, Delta
    given at 0.43, 0.73, 1.51 GeV/n and F at Z_P = 6, 8, 26; for dZ > Z_P/2 a power
    law in dZ continued from dZ = Z_P/2. Implemented after GALPROP's ``He_to_H_CS``
    (I. Moskalenko 2000), including its modifications: mu linear in E and Delta
    linear in ln E between the nodes, held constant outside 0.43-1.51 GeV/n; F
    linear in ln Z_P (extrapolated outside 6-26); Z_P/2 in integer arithmetic.
    """
    e = np.maximum(np.asarray(ekin_gev_per_n, dtype=float), 1e-12)
    le = np.log(e)
    e1, e2, e3 = _F88_E
    m1, m2, m3 = _F88_MU
    d1, d2, d3 = _F88_DELTA
    lo = e < e2
    mu = np.where(lo, _lin(e, e1, e2, m1, m2), _lin(e, e2, e3, m2, m3))
    delta = np.where(
        lo,
        _lin(le, np.log(e1), np.log(e2), d1, d2),
        _lin(le, np.log(e2), np.log(e3), d2, d3),
    )
    mu = np.where(e < e1, m1, np.where(e > e3, m3, mu))
    delta = np.where(e < e1, d1, np.where(e > e3, d3, delta))
    lz = np.log(float(z_parent))
    if z_parent < _F88_Z[1]:
        fz = _lin(lz, np.log(_F88_Z[0]), np.log(_F88_Z[1]), _F88_F[0], _F88_F[1])
    else:
        fz = _lin(lz, np.log(_F88_Z[1]), np.log(_F88_Z[2]), _F88_F[1], _F88_F[2])
    dz = z_parent - z_daughter
    half = z_parent // 2
    if dz <= half or half < 1:
        return np.exp(mu * np.abs(dz - fz * delta) ** 1.43)
    x = np.exp(mu * np.abs(half - fz * delta) ** 1.43)
    y = x - np.exp(mu * np.abs(half - 1 - fz * delta) ** 1.43)
    b = half * y / x
    a = x / float(half) ** b
    return a * float(dz) ** b


# -- folded (cumulative) sets ----------------------------------------------------------------
@dataclass(frozen=True)
class _Component:
    """One tabulated contribution to a cumulative channel."""

    grid: np.ndarray  # GeV/n
    sigma_h: np.ndarray  # mb
    sigma_he: np.ndarray | None  # mb; None: Ferrando scaling of sigma_h
    z_parent: int
    z_fragment: int
    fragment: ZA  # the tabulated daughter (a ghost if != channel daughter)

    def evaluate(self, target: str, e: np.ndarray) -> np.ndarray:
        le = np.log(e)
        lg = np.log(self.grid)
        s_h = np.interp(le, lg, self.sigma_h)
        if target == "H":
            return s_h
        if self.sigma_he is not None:
            return np.interp(le, lg, self.sigma_he)
        # the ratio is evaluated at the (clamped) energy of the H value
        e_c = np.clip(e, self.grid[0], self.grid[-1])
        return s_h * he_to_h_ratio_ferrando88(e_c, self.z_parent, self.z_fragment)


@dataclass
class _Folded:
    origin: str
    components: dict[Channel, list[_Component]] = field(default_factory=dict)
    by_rule: set[tuple[ZA, ZA]] = field(default_factory=set)
    unfoldable: dict[tuple[ZA, ZA], float] = field(default_factory=dict)
    skipped_parents: set[ZA] = field(default_factory=set)


def _add(f: _Folded, parent: ZA, frag: ZA, comp_kw: dict, threshold: float, source: str):
    if not is_cr_species(*parent, threshold, source):
        f.skipped_parents.add(parent)
        return
    try:
        fold = fold_target(*frag, threshold, source)
    except DecayError:
        he = comp_kw["sigma_he"]
        f.unfoldable[(parent, frag)] = float(
            max(np.max(comp_kw["sigma_h"]), 0.0 if he is None else np.max(he))
        )
        return
    if fold.assumed:
        f.by_rule.add((parent, frag))
    comp = _Component(z_parent=parent[0], z_fragment=frag[0], fragment=frag, **comp_kw)
    f.components.setdefault((parent, fold.target), []).append(comp)


@cache
def _folded(table: str, threshold_myr: float, decay_source: str) -> _Folded:
    f = _Folded(table)
    if table == "evoli2019":
        for (zp, ap, zd, ad), (t, s) in evoli2019_table().items():
            kw = dict(grid=t, sigma_h=s, sigma_he=None)
            _add(f, (zp, ap), (zd, ad), kw, threshold_myr, decay_source)
        return f
    grid, rows = usine_production_table(table)
    for (zp, ap, zd, ad, tgt), vals in rows.items():
        if tgt != "H":
            continue
        he = rows.get((zp, ap, zd, ad, "He"))
        if he is None:
            raise CrossSectionError(f"{_FILES[table]}: no He row for {(zp, ap, zd, ad)}")
        kw = dict(grid=grid, sigma_h=vals, sigma_he=he)
        _add(f, (zp, ap), (zd, ad), kw, threshold_myr, decay_source)
    return f


class ProductionSet:
    """A named production set with the light-nuclei set merged and ghosts folded.

    Parameters
    ----------
    name : one of :data:`PRODUCTION_SETS`.
    threshold_myr : half-life above which a radioactive nuclide is a CR species.
    decay_source : decay table for the CR species ("usine" or "dragon2").
    light : merge the Coste et al. 2012 light-nuclei channels (they take precedence).
    """

    def __init__(
        self,
        name: str,
        threshold_myr: float = DEFAULT_THRESHOLD_MYR,
        decay_source: str = "usine",
        light: bool = True,
    ):
        check_set(name)
        self.name = name
        self.threshold_myr = float(threshold_myr)
        self.decay_source = decay_source
        self.light = bool(light)
        layers = []
        if light:
            layers.append(_folded(LIGHT_SET, self.threshold_myr, decay_source))
        layers.append(_folded(name, self.threshold_myr, decay_source))
        if FALLBACK[name]:
            layers.append(_folded(FALLBACK[name], self.threshold_myr, decay_source))
        self._layers = tuple(layers)
        table: dict[Channel, tuple[str, list[_Component]]] = {}
        for layer in layers:
            for ch, comps in layer.components.items():
                table.setdefault(ch, (layer.origin, comps))
        self._table = table

    @property
    def label(self) -> str:
        """Description such as ``"evoli2019 (+galprop12 fallback, +coste12)"``."""
        extra = []
        if FALLBACK[self.name]:
            extra.append(f"+{FALLBACK[self.name]} fallback")
        if self.light:
            extra.append(f"+{LIGHT_SET}")
        return self.name + (f" ({', '.join(extra)})" if extra else "")

    def __repr__(self) -> str:
        return f"ProductionSet({self.label!r}, threshold_myr={self.threshold_myr})"

    def has(self, parent, daughter) -> bool:
        return (_za(parent), _za(daughter)) in self._table

    def source_of(self, parent, daughter) -> str:
        """Which tabulation supplies the channel: "evoli2019", "galprop12", "coste12", ..."""
        return self._entry(_za(parent), _za(daughter))[0]

    def fragments_of(self, parent, daughter) -> tuple[ZA, ...]:
        """The tabulated fragments summed into the channel (ghosts and the daughter)."""
        return tuple(c.fragment for c in self._entry(_za(parent), _za(daughter))[1])

    def _entry(self, parent: ZA, daughter: ZA):
        try:
            return self._table[(parent, daughter)]
        except KeyError:
            raise CrossSectionError(
                f"production set {self.label} has no channel "
                f"{nuclide_name(*parent)} -> {nuclide_name(*daughter)}; "
                f"list the covered ones with channels({self.name!r}, z_max)"
            ) from None

    def sigma_mb(self, parent, daughter, target: str, ekin_gev_per_n) -> np.ndarray:
        """Cumulative production cross section (mb) on ``target`` ("H" or "He")."""
        if target not in TARGETS:
            raise CrossSectionError(f"target {target!r} is unknown; allowed: {', '.join(TARGETS)}")
        _, comps = self._entry(_za(parent), _za(daughter))
        e = np.asarray(ekin_gev_per_n, dtype=float)
        return sum(c.evaluate(target, e) for c in comps)

    def channels(self, z_max: int = 28, z_min: int = 1) -> list[Channel]:
        """All (parent, daughter) with both Z in [z_min, z_max], heaviest parent first."""
        out = [
            ch for ch in self._table if z_min <= ch[0][0] <= z_max and z_min <= ch[1][0] <= z_max
        ]
        return sorted(out, key=lambda ch: (-ch[0][1], -ch[0][0], -ch[1][1], -ch[1][0]))

    def folding_report(self) -> dict[str, object]:
        """Data-quality notes: ghosts folded by the isobar rule and ghosts dropped."""
        return {
            "isobar_rule": sorted({g for layer in self._layers for g in layer.by_rule}),
            "unfoldable_max_mb": {
                k: v for layer in self._layers for k, v in layer.unfoldable.items()
            },
            "parents_not_cr_species": sorted(
                {p for layer in self._layers for p in layer.skipped_parents}
            ),
        }


def check_set(name: str) -> None:
    if name not in PRODUCTION_SETS:
        raise CrossSectionError(
            f"production cross-section set {name!r} is unknown; "
            f"allowed: {', '.join(PRODUCTION_SETS)}"
        )


@cache
def production_set(
    name: str,
    threshold_myr: float = DEFAULT_THRESHOLD_MYR,
    decay_source: str = "usine",
    light: bool = True,
) -> ProductionSet:
    """The (cached) :class:`ProductionSet` ``name``."""
    return ProductionSet(name, threshold_myr, decay_source, light)


def production_mb(
    set_name: str,
    parent,
    daughter,
    target: str,
    ekin_gev_per_n,
    *,
    threshold_myr: float = DEFAULT_THRESHOLD_MYR,
    decay_source: str = "usine",
    light: bool = True,
) -> np.ndarray:
    """Cumulative production cross section parent + target -> daughter (mb).

    ``parent``, ``daughter``: (Z, A) or isotope names; ``target``: "H" or "He";
    ``ekin_gev_per_n``: kinetic energy per nucleon (GeV/n), scalar or array.
    Raises :class:`~escapade.nuclear.crosssections.CrossSectionError` naming the set
    and the valid choices for an unknown set, or the reaction if it is not covered.
    """
    ps = production_set(set_name, threshold_myr, decay_source, light)
    return ps.sigma_mb(parent, daughter, target, ekin_gev_per_n)


def channels(
    set_name: str,
    z_max: int = 28,
    *,
    threshold_myr: float = DEFAULT_THRESHOLD_MYR,
    decay_source: str = "usine",
    light: bool = True,
) -> list[Channel]:
    """(parent, daughter) pairs of (Z, A) covered by a set, both with Z <= z_max."""
    return production_set(set_name, threshold_myr, decay_source, light).channels(z_max)


__all__ = [
    "FALLBACK",
    "LIGHT_SET",
    "PRODUCTION_SETS",
    "ProductionSet",
    "channels",
    "evoli2019_table",
    "he_to_h_ratio_ferrando88",
    "production_mb",
    "production_set",
    "usine_production_table",
]

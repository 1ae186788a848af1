"""Radioactive decays of cosmic-ray nuclei: half-lives, modes, daughters, CR species.

Two shipped tables (package data ``escapade/data/xsec``, verbatim copies with
their provenance headers):

* ``nuclide_chart_decays_USINE_Z28.txt`` -- the USINE cosmic-ray nuclide chart
  for Z <= 28 (Maurin 2020, CPC 247, 106942): the 88 nuclides USINE propagates,
  with the decay mode and half-life of the fully ionised nucleus **in kyr**
  (10Be: 1510 kyr; -1 = stable);
* ``isotope_list_decays_DRAGON2.txt`` -- the DRAGON2 isotope list (Evoli et al.
  2018, JCAP 07, 006) for Z <= 30 with two half-lives **in seconds**: the
  laboratory (atomic) one and that of the naked nucleus (-1 = stable), and the
  laboratory decay mode (``B-``, ``B+``, ``EC``, ``ECB+``, ``ECB-``, ``BB``).

Conventions used here (all half-lives are rest-frame; the propagation multiplies
the lifetime tau = T_1/2 / ln 2 by the Lorentz factor):

* **Which nuclides are cosmic-ray species.** The candidates are the nuclides of the
  USINE chart (Z <= 28). A candidate is a CR species if it is stable or if its
  half-life exceeds ``threshold_myr`` (default 1 kyr = 1e-3 Myr, so 14C, 5.7 kyr, is
  kept). Every other nuclide (not in the chart, or in the chart but shorter-lived
  than the threshold) is a *ghost*: it decays, in effect instantly, and its
  production is added to that of the CR species its decay chain ends on (see
  :func:`fold_target`).
* **Electron capture.** Cosmic-ray nuclei above ~0.1-0.5 GeV/n are fully stripped
  and cannot capture an orbital electron; electron attachment from the ISM is
  neglected. Pure electron-capture nuclides (7Be, 37Ar, 41Ca, 44Ti, 49V, 51Cr, 53Mn,
  55Fe, 57Co, 59Ni) are therefore **stable**, exactly as the USINE chart lists them
  (Letaw, Silberberg & Tsao 1984, ApJS 56, 369; Maurin 2020). Nuclides with a
  competing beta branch decay by that branch with the naked-nucleus half-life:
  26Al (beta+, 910 kyr), 54Mn (beta-, 630 kyr), 56Ni (beta+, 51 kyr) in the USINE
  chart; with ``source="dragon2"`` the DRAGON2 naked-nucleus column (second
  half-life) is used instead for these, and pure ``EC`` nuclides stay stable.
* **Ghost decays.** A ghost's daughter comes from the DRAGON2 list (laboratory
  half-life and mode; ``B-`` -> Z+1, ``B+``/``EC``/``ECB+`` -> Z-1, ``ECB-`` -> the
  naked beta- branch, Z+1). Short-lived fragments that appear in neither table
  (e.g. 13N, 15O, 24Na, 28Al from the WKS98 tabulation) are decayed by the *isobar
  rule*: a nuclide richer in protons than every CR species of the same mass number
  decays by beta+ (Z-1), one poorer by beta- (Z+1), until it reaches a CR species.
  beta-delayed particle emission (e.g. 17N -> 16O + n) is neglected; a nuclide
  whose mass number has no CR species (A = 5, 8, or beyond the chart) cannot be
  folded and is reported as such.

``source="usine"`` (default) takes the half-lives of chart nuclides from the USINE
chart; ``source="dragon2"`` from the DRAGON2 list. They differ for 60Fe
(USINE 2.6 Myr, DRAGON2 1.50 Myr), 56Ni (51 vs 40 kyr), 36Cl (307 vs 301 kyr) and
40K (USINE stable, DRAGON2 1.25 Gyr beta-).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..constants import MYR_S
from ..species import ELEMENTS

DEFAULT_THRESHOLD_MYR = 1.0e-3
"""Minimum half-life (Myr) for a radioactive nuclide to be propagated: 1 kyr."""

DECAY_SOURCES = ("usine", "dragon2")

USINE_CHART_FILE = "nuclide_chart_decays_USINE_Z28.txt"
DRAGON2_LIST_FILE = "isotope_list_decays_DRAGON2.txt"

CHART_Z_MAX = 28
"""Highest charge of the USINE chart, hence of any propagated nuclide."""

_KYR_PER_MYR = 1.0e3
LN2 = math.log(2.0)


class DecayError(KeyError):
    """A nuclide the decay tables do not describe, or an unknown option."""

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


def nuclide_name(z: int, a: int) -> str:
    """Isotope name such as ``"10Be"`` for (Z, A)."""
    if not 0 < z < len(ELEMENTS):
        raise DecayError(f"charge Z={z} is outside 1..{len(ELEMENTS) - 1}")
    return f"{a}{ELEMENTS[z]}"


@dataclass(frozen=True)
class Decay:
    """Decay data of one nuclide as propagated (fully stripped, rest frame).

    Attributes
    ----------
    z, a : charge and mass number.
    mode : ``"stable"``, ``"beta-"`` or ``"beta+"`` (the mode acting on the naked nucleus).
    half_life_myr : rest-frame half-life in Myr; ``inf`` if stable; ``nan`` if unknown
        (isobar rule: a short-lived fragment decayed instantly).
    daughter : (Z, A) of the immediate daughter, ``None`` if stable.
    lab_mode : the laboratory mode string of the table (``"BETA-"``, ``"EC"``, ...).
    source : ``"usine"``, ``"dragon2"`` or ``"isobar-rule"`` (where the numbers come from).
    """

    z: int
    a: int
    mode: str
    half_life_myr: float
    daughter: tuple[int, int] | None
    lab_mode: str
    source: str

    @property
    def stable(self) -> bool:
        return self.mode == "stable"

    @property
    def lifetime_myr(self) -> float:
        """Mean rest-frame lifetime tau = T_1/2 / ln 2 (Myr); ``inf`` if stable."""
        return self.half_life_myr / LN2


def _read(name: str) -> str:
    return resources.files("escapade.data.xsec").joinpath(name).read_text(encoding="utf-8")


@cache
def usine_chart() -> dict[tuple[int, int], tuple[str, float]]:
    """The USINE chart: (Z, A) -> (mode, half-life in kyr; -1 stable), file order."""
    out: dict[tuple[int, int], tuple[str, float]] = {}
    for line in _read(USINE_CHART_FILE).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        out[(int(parts[0]), int(parts[1]))] = (parts[3], float(parts[4]))
    return out


@cache
def dragon2_list() -> dict[tuple[int, int], tuple[str, float, float]]:
    """The DRAGON2 list: (Z, A) -> (lab mode, T1/2 lab [s], T1/2 naked [s]); -1 = stable."""
    out: dict[tuple[int, int], tuple[str, float, float]] = {}
    for line in _read(DRAGON2_LIST_FILE).splitlines():
        parts = line.split()
        if not parts or not parts[0].isdigit():
            continue
        a, z = int(parts[0]), int(parts[1])
        out[(z, a)] = (parts[4], float(parts[2]), float(parts[3]))
    return out


def _check_source(source: str) -> None:
    if source not in DECAY_SOURCES:
        raise DecayError(f"decay table {source!r} is unknown; allowed: {', '.join(DECAY_SOURCES)}")


def _dragon2_decay(z: int, a: int, naked: bool) -> Decay:
    mode, t_lab, t_naked = dragon2_list()[(z, a)]
    if mode == "STABLE" or t_lab < 0:
        return Decay(z, a, "stable", math.inf, None, mode, "dragon2")
    if naked and mode in ("EC", "BB"):
        # no electron to capture; double-beta half-lives (48Ca, > 1e19 yr) are irrelevant
        return Decay(z, a, "stable", math.inf, None, mode, "dragon2")
    t_s = t_naked if naked else t_lab
    if mode in ("B-", "ECB-", "BB"):
        # ECB- (54Mn): the naked nucleus decays by its beta- branch
        kind, dz = "beta-", (2 if mode == "BB" else 1)
    elif mode in ("B+", "EC", "ECB+"):
        kind, dz = "beta+", -1
    else:  # pragma: no cover - the shipped file has no other modes
        raise DecayError(f"DRAGON2 decay mode {mode!r} of {nuclide_name(z, a)} is not understood")
    return Decay(z, a, kind, t_s / MYR_S, (z + dz, a), mode, "dragon2")


@cache
def decay(z: int, a: int, source: str = "usine") -> Decay:
    """Decay data of nuclide (Z, A) for a fully stripped cosmic ray.

    Chart nuclides (Z <= 28) use ``source`` ("usine" or "dragon2", see the module
    notes); other nuclides use the DRAGON2 laboratory values (they are ghosts, so
    only their daughter matters), or the isobar rule if no table lists them.
    """
    _check_source(source)
    key = (z, a)
    chart = usine_chart()
    if key in chart:
        mode, t_kyr = chart[key]
        if source == "dragon2" and key in dragon2_list():
            return _dragon2_decay(z, a, naked=True)
        if t_kyr < 0 or mode not in ("BETA-", "BETA+"):
            return Decay(z, a, "stable", math.inf, None, mode, "usine")
        dz = 1 if mode == "BETA-" else -1
        kind = "beta-" if dz > 0 else "beta+"
        return Decay(z, a, kind, t_kyr / _KYR_PER_MYR, (z + dz, a), mode, "usine")
    if key in dragon2_list():
        return _dragon2_decay(z, a, naked=False)
    return _isobar_rule(z, a)


def _isobar_rule(z: int, a: int) -> Decay:
    """beta-decay direction of a nuclide no table lists: towards the chart isobars."""
    isobars = [zz for (zz, aa), (m, t) in usine_chart().items() if aa == a and t < 0]
    if not isobars:
        raise DecayError(
            f"{nuclide_name(z, a)} is in neither decay table and no stable nuclide of "
            f"A={a} is in the USINE chart: it cannot be folded into a cosmic-ray species"
        )
    if z > max(isobars):
        return Decay(z, a, "beta+", math.nan, (z - 1, a), "", "isobar-rule")
    if z < min(isobars):
        return Decay(z, a, "beta-", math.nan, (z + 1, a), "", "isobar-rule")
    raise DecayError(
        f"{nuclide_name(z, a)} lies between stable isobars {sorted(isobars)} and is in "
        "neither decay table"
    )


def half_life_myr(z: int, a: int, source: str = "usine") -> float:
    """Rest-frame half-life (Myr) of the fully stripped nucleus; ``inf`` if stable."""
    return decay(z, a, source).half_life_myr


def lifetime_myr(z: int, a: int, source: str = "usine") -> float:
    """Rest-frame mean lifetime tau = T_1/2 / ln 2 (Myr); ``inf`` if stable."""
    return decay(z, a, source).lifetime_myr


def decay_mode(z: int, a: int, source: str = "usine") -> str:
    """``"stable"``, ``"beta-"`` or ``"beta+"`` for the fully stripped nucleus."""
    return decay(z, a, source).mode


def decay_daughter(z: int, a: int, source: str = "usine") -> tuple[int, int] | None:
    """Immediate daughter (Z, A) of the decay, ``None`` if stable."""
    return decay(z, a, source).daughter


def is_cr_species(
    z: int, a: int, threshold_myr: float = DEFAULT_THRESHOLD_MYR, source: str = "usine"
) -> bool:
    """True if (Z, A) is propagated: in the USINE chart and stable or T_1/2 > threshold."""
    if (z, a) not in usine_chart():
        return False
    return decay(z, a, source).half_life_myr > threshold_myr


def cr_species(
    z_max: int = CHART_Z_MAX,
    threshold_myr: float = DEFAULT_THRESHOLD_MYR,
    source: str = "usine",
    z_min: int = 1,
) -> list[tuple[int, int]]:
    """All CR species (Z, A) with z_min <= Z <= z_max, heaviest (A, then Z) first."""
    if z_max > CHART_Z_MAX:
        raise DecayError(
            f"z_max={z_max} is beyond the USINE chart (Z <= {CHART_Z_MAX}); "
            "no production cross sections are shipped there either"
        )
    out = [
        k
        for k in usine_chart()
        if z_min <= k[0] <= z_max and is_cr_species(*k, threshold_myr, source)
    ]
    return sorted(out, key=lambda k: (-k[1], -k[0]))


@dataclass(frozen=True)
class Fold:
    """Where the production of a nuclide ends up: the CR species its decays reach."""

    target: tuple[int, int]
    chain: tuple[tuple[int, int], ...]
    """Nuclides traversed, from the produced one to ``target`` inclusive."""
    assumed: bool
    """True if a step used the isobar rule (no table lists the nuclide)."""


@cache
def fold_target(
    z: int, a: int, threshold_myr: float = DEFAULT_THRESHOLD_MYR, source: str = "usine"
) -> Fold:
    """Follow the decays of (Z, A) until a CR species; a CR species folds onto itself.

    Raises :class:`DecayError` if the chain cannot end on a CR species.
    """
    chain = [(z, a)]
    assumed = False
    key = (z, a)
    while not is_cr_species(*key, threshold_myr, source):
        d = decay(*key, source)
        if d.daughter is None:
            raise DecayError(
                f"{nuclide_name(*key)} is stable but not a cosmic-ray species of the USINE "
                "chart: its production cannot be assigned"
            )
        assumed = assumed or d.source == "isobar-rule"
        key = d.daughter
        chain.append(key)
        if len(chain) > 12:  # pragma: no cover - a cycle would be a table error
            raise DecayError(f"decay chain of {nuclide_name(z, a)} does not end: {chain}")
    return Fold(key, tuple(chain), assumed)


def decay_target(
    z: int, a: int, threshold_myr: float = DEFAULT_THRESHOLD_MYR, source: str = "usine"
) -> tuple[int, int] | None:
    """CR species fed by the decay of CR species (Z, A) (ghost daughters followed).

    ``None`` if (Z, A) is stable. E.g. 56Ni -> 56Fe (via the ghost 56Co),
    60Fe -> 60Ni (via 60Co), 10Be -> 10B.
    """
    d = decay(z, a, source)
    if d.daughter is None:
        return None
    return fold_target(*d.daughter, threshold_myr, source).target


__all__ = [
    "DECAY_SOURCES",
    "DEFAULT_THRESHOLD_MYR",
    "Decay",
    "DecayError",
    "Fold",
    "cr_species",
    "decay",
    "decay_daughter",
    "decay_mode",
    "decay_target",
    "dragon2_list",
    "fold_target",
    "half_life_myr",
    "is_cr_species",
    "lifetime_myr",
    "nuclide_name",
    "usine_chart",
]

"""The measured-table record :class:`Measurement`, its x axes and units, and :class:`DataError`.

x axes (``Measurement.x_kind``): ``"ekin_per_n"`` [GeV/n], ``"rigidity"`` [GV],
``"ekin"`` (kinetic energy per particle) [GeV], ``"etot"`` (total energy) [GeV].
Fluxes are per unit of x in m^-2 s^-1 sr^-1; ratios are dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

X_KINDS: tuple[str, ...] = ("ekin_per_n", "rigidity", "ekin", "etot")
"""Allowed ``Measurement.x_kind`` values."""

X_UNITS = {"ekin_per_n": "GeV/n", "rigidity": "GV", "ekin": "GeV", "etot": "GeV"}
"""Unit of x for every x axis."""
FLUX_UNITS = {k: f"m^-2 s^-1 sr^-1 {f'({u})' if '/' in u else u}^-1" for k, u in X_UNITS.items()}
"""Unit of a flux per unit of x, for every x axis."""
X_KIND_ALIASES = {
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
"""Spellings of the x axes accepted in names and CSV headers (lower case, no spaces)."""


class DataError(ValueError):
    """A measurement name that is not known, or a table that cannot be read."""


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
        return X_UNITS[self.x_kind]

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

"""The chi-square of model predictions against measured tables.

One :class:`DataTerm` per measurement holds the points that enter the fit (above the rigidity
cut, finite, with positive errors) and their errors; :class:`Likelihood` sums the terms.

Errors
------
``syst = "quadrature"`` (default): sigma_i = (lower + upper) / 2 of the statistical and
systematic errors added in quadrature (``Measurement.sigma()``),

    chi2 = sum_i ((y_i - m_i) / sigma_i)^2.

``syst = "profile"`` or ``"fit"``: the systematic error is treated as one normalisation
uncertainty per data set, fully correlated over its points, of relative size
sigma_s = median_i(syst_i / y_i) (syst_i = (syst_lo + syst_hi) / 2); the points keep their
statistical errors only and the model is scaled by a factor s with a Gaussian penalty,

    chi2 = sum_i ((y_i - s m_i) / stat_i)^2 + ((s - 1) / sigma_s)^2.

``"profile"`` minimises over s analytically at every evaluation,
s = (sum m y / stat^2 + 1 / sigma_s^2) / (sum m^2 / stat^2 + 1 / sigma_s^2); ``"fit"`` makes
s a fit parameter (``norm[NAME]``). The penalty term counts as one measurement and s as one
parameter, so they leave the number of degrees of freedom unchanged.

Rigidity cut
------------
Points below ``rmin_gv`` (and above ``rmax_gv`` if given) are excluded, since the force-field
approximation is poor at low rigidity. Data published against kinetic energy per nucleon (or
per particle, or total energy) are converted to rigidity with the main isotope of every element
of the observable (:data:`MAIN_ISOTOPES`: 11B and 12C for B/C) and the lowest of those rigidities
is used (12C for B/C: A/Z = 2 gives the lower rigidity at a given E/n), so a point passes the
cut only if every species of the observable is above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..measurements import DataError, Measurement

__all__ = [
    "MAIN_ISOTOPES",
    "SYST_MODES",
    "DataTerm",
    "Likelihood",
    "main_isotopes",
    "rigidity_gv",
]

SYST_MODES: tuple[str, ...] = ("quadrature", "profile", "fit")
"""How systematic errors enter: in quadrature, or as a normalisation (profiled or fitted)."""

MAIN_ISOTOPES: dict[str, str] = {
    "H": "1H", "He": "4He", "Li": "7Li", "Be": "9Be", "B": "11B", "C": "12C", "N": "14N",
    "O": "16O", "F": "19F", "Ne": "20Ne", "Na": "23Na", "Mg": "24Mg", "Al": "27Al",
    "Si": "28Si", "P": "31P", "S": "32S", "Cl": "35Cl", "Ar": "36Ar", "K": "39K", "Ca": "40Ca",
    "Sc": "45Sc", "Ti": "48Ti", "V": "51V", "Cr": "52Cr", "Mn": "55Mn", "Fe": "56Fe",
    "Co": "59Co", "Ni": "58Ni",
}  # fmt: skip
"""The isotope used to convert an element's energy axis to rigidity (most abundant in CRs)."""

_OBSERVABLE_TERMS = {
    "posfraction": ["e+", "e-"],
    "allparticle": ["1H"],
    "light": ["1H", "4He"],
    "subfe/fe": ["45Sc", "48Ti", "51V", "56Fe"],
}


def main_isotopes(observable: str) -> list[str]:
    """The species whose rigidity a point of ``observable`` is cut on (``"B/C"`` -> 11B, 12C)."""
    from ..observables.local import LocalObservableError, parse_species

    key = observable.strip().replace(" ", "").lower()
    if key in _OBSERVABLE_TERMS:
        return list(_OBSERVABLE_TERMS[key])
    out: list[str] = []
    for part in observable.replace(" ", "").split("/"):
        try:
            terms = parse_species(part)
        except LocalObservableError as exc:
            raise DataError(f"observable {observable!r}: {exc}") from None
        for t in terms:
            if t == "p":
                t = "H"
            iso = MAIN_ISOTOPES.get(t, t)
            if iso == "e+e-":
                iso = "e-"
            if iso not in out:
                out.append(iso)
    return out


def rigidity_gv(m: Measurement) -> np.ndarray:
    """Rigidity [GV] of every point of a measurement (see the module docstring)."""
    if m.x_kind == "rigidity":
        return np.asarray(m.x, dtype=float).copy()
    rig = [m.x_rigidity_gv(iso) for iso in main_isotopes(m.observable)]
    return np.min(np.vstack(rig), axis=0)


@dataclass
class DataTerm:
    """The points of one measurement that enter the fit, and how they are weighted.

    Attributes
    ----------
    name : the measurement's name (``"B/C:AMS-02"``).
    full : the whole table as loaded.
    data : the points that enter the fit (``full.select(mask)``).
    mask : boolean mask on ``full`` of the points in the fit.
    sigma : the error of each point in the fit (total, or statistical with a normalisation).
    syst_rel : relative normalisation uncertainty (``syst = "profile"``/``"fit"``), else None.
    n_below, n_above : points excluded by the rigidity cut (below rmin, above rmax).
    n_invalid : points excluded for a non-positive error or a non-finite value.
    """

    name: str
    full: Measurement
    data: Measurement
    mask: np.ndarray
    sigma: np.ndarray
    syst_rel: float | None
    n_below: int = 0
    n_above: int = 0
    n_invalid: int = 0

    @property
    def n_points(self) -> int:
        return int(self.mask.sum())

    @property
    def y(self) -> np.ndarray:
        return np.asarray(self.data.y, dtype=float)

    @classmethod
    def build(
        cls,
        m: Measurement,
        rmin_gv: float | None = 5.0,
        rmax_gv: float | None = None,
        syst: str = "quadrature",
    ) -> DataTerm:
        if syst not in SYST_MODES:
            raise ValueError(f"syst = {syst!r}: allowed {', '.join(SYST_MODES)}")
        rig = rigidity_gv(m)
        below = np.zeros(len(m), dtype=bool) if rmin_gv is None else rig < rmin_gv
        above = np.zeros(len(m), dtype=bool) if rmax_gv is None else rig > rmax_gv
        if syst == "quadrature":
            sig = m.sigma()
        else:
            sig = 0.5 * (np.asarray(m.stat_lo) + np.asarray(m.stat_hi))
        y = np.asarray(m.y, dtype=float)
        invalid = ~(np.isfinite(y) & np.isfinite(sig) & (sig > 0) & np.isfinite(m.x))
        mask = ~below & ~above & ~invalid
        if not mask.any():
            cut = f"{rmin_gv:g} GV" if rmin_gv is not None else "none"
            raise DataError(
                f"{m.name}: no point left to fit (rigidity cut {cut}"
                f"{f' to {rmax_gv:g} GV' if rmax_gv is not None else ''}; the data span "
                f"{np.nanmin(rig):.3g}-{np.nanmax(rig):.3g} GV); lower rmin_gv (--rmin)"
            )
        syst_rel = None
        if syst != "quadrature":
            rel = 0.5 * (np.asarray(m.syst_lo) + np.asarray(m.syst_hi))[mask] / np.abs(y[mask])
            syst_rel = float(np.median(rel))
            if not syst_rel > 0:
                raise DataError(
                    f"{m.name}: the table has no systematic errors, so no normalisation "
                    f"uncertainty for syst = {syst!r}; use syst = 'quadrature'"
                )
        return cls(
            name=m.name,
            full=m,
            data=m.select(mask),
            mask=mask,
            sigma=np.asarray(sig, dtype=float)[mask],
            syst_rel=syst_rel,
            n_below=int((below & ~invalid).sum()),
            n_above=int((above & ~below & ~invalid).sum()),
            n_invalid=int(invalid.sum()),
        )

    def profiled_norm(self, pred: np.ndarray) -> float:
        """The normalisation s that minimises this term's chi2 (with its penalty)."""
        w = 1.0 / self.sigma**2
        p = 1.0 / self.syst_rel**2
        return float((np.sum(pred * self.y * w) + p) / (np.sum(pred**2 * w) + p))

    def chi2(self, pred: np.ndarray, norm: float | None = None) -> float:
        """chi2 of model values ``pred`` at the fitted points (scaled by ``norm``, penalised)."""
        pred = np.asarray(pred, dtype=float)
        s = 1.0 if norm is None else float(norm)
        r = (self.y - s * pred) / self.sigma
        total = float(np.dot(r, r))
        if self.syst_rel is not None:
            total += ((s - 1.0) / self.syst_rel) ** 2
        return total

    def pulls(self, pred: np.ndarray, norm: float | None = None) -> np.ndarray:
        """(data - model) / sigma at the fitted points."""
        s = 1.0 if norm is None else float(norm)
        return (self.y - s * np.asarray(pred, dtype=float)) / self.sigma


class Likelihood:
    """The sum of the chi2 of several :class:`DataTerm`."""

    def __init__(self, terms: Sequence[DataTerm], syst: str = "quadrature"):
        if syst not in SYST_MODES:
            raise ValueError(f"syst = {syst!r}: allowed {', '.join(SYST_MODES)}")
        names = [t.name for t in terms]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise DataError(f"data set {dup[0]!r} is given twice")
        self.terms = list(terms)
        self.syst = syst

    @property
    def n_points(self) -> int:
        return sum(t.n_points for t in self.terms)

    def evaluate(
        self, preds: Sequence[np.ndarray], norms: Sequence[float | None] | None = None
    ) -> tuple[float, list[float], list[float | None]]:
        """(total chi2, chi2 per term, normalisation per term) for model values per term.

        ``norms`` are the fitted normalisations (``syst = "fit"``); with ``"profile"`` they
        are computed here, with ``"quadrature"`` they are None.
        """
        per, used = [], []
        for i, (t, p) in enumerate(zip(self.terms, preds, strict=True)):
            if self.syst == "quadrature":
                s = None
            elif self.syst == "profile":
                s = t.profiled_norm(p) if np.all(np.isfinite(p)) else 1.0
            else:
                s = 1.0 if norms is None else norms[i]
            c = t.chi2(p, s)
            per.append(c if np.isfinite(c) else np.inf)
            used.append(s)
        return float(sum(per)), per, used

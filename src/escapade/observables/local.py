"""Local observables: element fluxes, force-field modulation, flux conversions, ratios.

Everything here works on the solution :class:`xarray.Dataset` written by
:meth:`escapade.Model.solve`, whose variable ``flux_local`` (species,
ekin_gev_per_n) is the interstellar flux of every propagated isotope at the
Sun, J = v N / (4 pi), in 1/(m^2 s sr GeV/n).

Conventions
-----------
* **Species expressions.** An isotope (``"10B"``), an element (``"B"``: the sum of
  every isotope of boron present in the solution), ``"p"`` (= element H: the
  experiments measure all Z = 1 nuclei at a given rigidity), ``"pbar"``,
  ``"e-"``, ``"e+"``, or a sum of those written with ``+`` (``"Sc+Ti+V"``,
  ``"e+e-"`` or ``"e++e-"``). Only the isotopes present in the solution are
  summed; an element with none raises a :class:`LocalObservableError` listing
  what the solution holds.
* **x axes** (argument ``x``):

  ================== ================================================ ========
  ``x``              axis                                             flux per
  ================== ================================================ ========
  ``"ekin"``         kinetic energy per nucleon E_n [GeV/n]           GeV/n
                     (alias ``"ekin_per_n"``)
  ``"rigidity"``     rigidity R = p c / (Z e) [GV]                    GV
  ``"ekin_total"``   kinetic energy of the particle A E_n [GeV]       GeV
  ``"etot"``         total energy A E_n + M [GeV]                     GeV
  ================== ================================================ ========

  Note that :class:`escapade.measurements.Measurement` names the total kinetic energy
  ``x_kind = "ekin"`` (the data convention); :func:`predict` translates.
* **Sums are taken at the same value of the chosen x.** An element flux vs
  rigidity sums its isotopes at the same rigidity (each isotope at its own E_n),
  vs E_n at the same E_n. Per isotope the flux is converted with its Jacobian:
  dN/dR = dN/dE_n * dE_n/dR with dE_n/dR = (Z/A) beta; dN/dE_k = dN/dE_n / A.
* **Force-field modulation** (Gleeson & Axford 1968, ApJ 154 1011), potential
  ``phi_gv`` in GV. For a particle of charge |Z|, mass number A and rest mass
  per nucleon m: Phi = (|Z|/A) phi (GeV/n) and

      J_TOA(E) = J_IS(E + Phi) * E (E + 2m) / ((E + Phi) (E + Phi + 2m)),

  with E the kinetic energy per nucleon. J_IS(E + Phi) is interpolated linearly
  in log-log on the model grid; above the top node (only E + Phi > E_max) the
  last two nodes are extrapolated as a power law. Antiprotons use |Z| = 1;
  electrons and positrons Z = 1, A = 1, m = m_e.
* Values requested outside the range the model grid covers are NaN (never
  extrapolated), except for the force-field shift above.

Main entry points: :func:`local_flux`, :func:`ratio`, :func:`modulate`,
:func:`observable` (``"B/C"``, ``"posfraction"``, ...), :func:`predict`
(a model observable at the points of a measurement).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..constants import M_ELECTRON_GEV
from ..species import ELEMENTS, Nuclide, SpeciesError, nuclide

__all__ = [
    "LEPTONS",
    "LocalObservableError",
    "X_KINDS",
    "convert_flux",
    "element_of",
    "isotopes_in",
    "local_flux",
    "modulate",
    "observable",
    "parse_species",
    "particle",
    "predict",
    "ratio",
]


class LocalObservableError(ValueError):
    """A species, observable or x axis that cannot be formed from a solution."""


LEPTONS: tuple[str, ...] = ("e-", "e+")
"""Lepton species names (Z = 1, A = 1, mass m_e)."""

# internal x kinds -> (coordinate name, x units, flux units)
_X_INFO: dict[str, tuple[str, str, str]] = {
    "ekin_per_n": ("ekin_gev_per_n", "GeV/n", "1/(m^2 s sr GeV/n)"),
    "rigidity": ("rigidity_gv", "GV", "1/(m^2 s sr GV)"),
    "ekin_total": ("ekin_gev", "GeV", "1/(m^2 s sr GeV)"),
    "etot": ("etot_gev", "GeV", "1/(m^2 s sr GeV)"),
}
_X_ALIASES: dict[str, str] = {
    "ekin": "ekin_per_n",
    "ekn": "ekin_per_n",
    "ekin_per_n": "ekin_per_n",
    "ekin_gev_per_n": "ekin_per_n",
    "rigidity": "rigidity",
    "r": "rigidity",
    "rigidity_gv": "rigidity",
    "ekin_total": "ekin_total",
    "ek": "ekin_total",
    "ekin_gev": "ekin_total",
    "etot": "etot",
    "etot_gev": "etot",
}
X_KINDS: tuple[str, ...] = ("ekin", "ekin_per_n", "rigidity", "ekin_total", "etot")
"""Accepted values of the ``x`` argument (``"ekin"`` = ``"ekin_per_n"``)."""

# Measurement.x_kind (data convention) -> internal kind
_MEASUREMENT_X = {
    "ekin_per_n": "ekin_per_n",
    "rigidity": "rigidity",
    "ekin": "ekin_total",
    "etot": "etot",
}

# observable names used by the data tables that are not plain species expressions
_OBSERVABLE_ALIASES: dict[str, str] = {
    "posfraction": "e+/e++e-",
    "positron_fraction": "e+/e++e-",
    "e+/(e++e-)": "e+/e++e-",
    "e+/(e+ + e-)": "e+/e++e-",
    "subfe/fe": "Sc+Ti+V/Fe",
    "(sc+ti+v)/fe": "Sc+Ti+V/Fe",
    "light": "H+He",
}

_TOKEN = r"(?:e[+-]|pbar|p|\d{1,3}[A-Z][a-z]?|[A-Z][a-z]?)"
_TOKEN_RE = re.compile(_TOKEN)
_EXPR_RE = re.compile(rf"^{_TOKEN}(?:\+?{_TOKEN})*$")


def _canon_x(x: str) -> str:
    k = _X_ALIASES.get(str(x).strip().lower()) if isinstance(x, str) else None
    if k is None:
        raise LocalObservableError(f"unknown x axis {x!r}; allowed: {', '.join(X_KINDS)}")
    return k


# ----------------------------------------------------------------------------------
# particles
# ----------------------------------------------------------------------------------
def particle(name: str) -> Nuclide:
    """The :class:`~escapade.species.Nuclide` for an isotope, ``"pbar"``, ``"e-"`` or ``"e+"``.

    Leptons are described with Z = 1, A = 1 and the electron mass (``species.py``
    does not know them); their ``element`` property is meaningless, use
    :func:`element_of` instead.
    """
    if name in LEPTONS:
        return Nuclide(name, 1, 1, M_ELECTRON_GEV)
    try:
        return nuclide(name)
    except SpeciesError as exc:
        raise LocalObservableError(f"{exc}; leptons are 'e-' and 'e+'") from None


def element_of(name: str) -> str:
    """Element symbol of a species name (``"10B"`` -> ``"B"``); ``pbar``, ``e-``, ``e+`` as is."""
    if name in LEPTONS or name == "pbar":
        return name
    return ELEMENTS[particle(name).z]


def _species_names(ds) -> list[str]:
    if "species" not in ds.coords:
        raise LocalObservableError("the dataset has no 'species' coordinate (not a solution?)")
    return [str(s) for s in ds["species"].values]


def _available_message(ds) -> str:
    names = _species_names(ds)
    elems: list[str] = []
    for n in names:
        try:
            e = element_of(n)
        except LocalObservableError:
            continue
        if e not in elems:
            elems.append(e)
    return f"the solution holds species {', '.join(names)} (elements {', '.join(elems)})"


def parse_species(expr: str) -> list[str]:
    """Split a species expression (``"Sc+Ti+V"``, ``"e+e-"``, ``"10Be"``) into its terms."""
    s = str(expr).strip().replace(" ", "")
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1]
    if not s or not _EXPR_RE.match(s):
        raise LocalObservableError(
            f"cannot read species {expr!r}: expected an isotope ('12C'), an element ('C'), "
            "'p', 'pbar', 'e-', 'e+' or a sum of them joined by '+' ('Sc+Ti+V', 'e+e-')"
        )
    return _TOKEN_RE.findall(s)


def isotopes_in(ds, expr: str) -> list[str]:
    """Species of ``ds`` that make up a species expression (order of the dataset, no repeats).

    Raises :class:`LocalObservableError` when a term has no isotope in the solution.
    """
    names = _species_names(ds)
    out: list[str] = []
    for term in parse_species(expr):
        if term in names:  # an isotope, pbar or a lepton present as such
            picked = [term]
        elif term == "p" or term in ELEMENTS[1:]:
            sym = "H" if term == "p" else term
            picked = []
            for n in names:
                try:
                    if n not in LEPTONS and n != "pbar" and element_of(n) == sym:
                        picked.append(n)
                except LocalObservableError:
                    continue
        else:
            picked = []
        if not picked:
            if term not in LEPTONS and term not in ("pbar", "p") and not _is_element(term):
                particle(term)  # raises for a malformed isotope name
            raise LocalObservableError(
                f"no species for {term!r} in the solution; " + _available_message(ds)
            )
        for n in picked:
            if n not in out:
                out.append(n)
    return out


def _is_element(term: str) -> bool:
    return term in ELEMENTS[1:]


# ----------------------------------------------------------------------------------
# interpolation helpers
# ----------------------------------------------------------------------------------
def _loglog(x_new, x, y, extrapolate_high: bool = False):
    """Interpolate y(x) linearly in log-log; zero/negative nodes fall back to linear in y.

    Outside [x[0], x[-1]] the result is NaN, except above x[-1] when
    ``extrapolate_high`` (power law through the last two positive nodes).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xn = np.asarray(x_new, dtype=float)
    lx = np.log(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        lxn = np.log(xn)
    pos = y > 0
    ly = np.log(np.where(pos, y, 1.0))
    lin = np.interp(lxn, lx, y)
    both_pos = np.interp(lxn, lx, pos.astype(float)) >= 1.0 - 1e-12
    out = np.where(both_pos, np.exp(np.interp(lxn, lx, ly)), lin)
    # tolerate round-off at the grid ends
    lo = xn < x[0] * (1.0 - 1e-12)
    hi = xn > x[-1] * (1.0 + 1e-12)
    out = np.where(lo | ~np.isfinite(lxn), np.nan, out)
    if extrapolate_high and np.any(hi):
        idx = np.flatnonzero(pos)
        if idx.size >= 2 and idx[-1] == x.size - 1:
            i0, i1 = idx[-2], idx[-1]
            slope = (ly[i1] - ly[i0]) / (lx[i1] - lx[i0])
            ext = np.exp(ly[i1] + slope * (lxn - lx[i1]))
        else:
            ext = np.full_like(xn, y[-1] if y[-1] <= 0 else np.nan)
        out = np.where(hi, ext, out)
    else:
        out = np.where(hi, np.nan, out)
    return out


# ----------------------------------------------------------------------------------
# force field
# ----------------------------------------------------------------------------------
def modulate(ekin_gev_per_n, flux_is, species, phi_gv: float):
    """Force-field (Gleeson & Axford 1968) top-of-atmosphere flux per kinetic energy per nucleon.

    Parameters
    ----------
    ekin_gev_per_n : 1-d increasing grid E_n [GeV/n] (the model grid).
    flux_is : interstellar flux per GeV/n on that grid; extra leading axes allowed,
        energy is the last axis.
    species : isotope name, ``"pbar"``, ``"e-"``, ``"e+"`` or a :class:`Nuclide`.
    phi_gv : modulation potential phi [GV] (>= 0).

    Returns the modulated flux on the same grid (same shape as ``flux_is``):
    J_TOA(E) = J_IS(E + Phi) E (E + 2m) / ((E + Phi)(E + Phi + 2m)), Phi = |Z| phi / A.
    ``phi_gv = 0`` returns a copy of ``flux_is``.
    """
    nuc = species if isinstance(species, Nuclide) else particle(str(species))
    e = np.asarray(ekin_gev_per_n, dtype=float)
    j = np.asarray(flux_is, dtype=float)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0) or e[0] <= 0:
        raise LocalObservableError("ekin_gev_per_n must be a positive increasing 1-d grid")
    if j.shape[-1] != e.size:
        raise LocalObservableError(
            f"flux_is has {j.shape[-1]} energies on its last axis, the grid {e.size}"
        )
    phi = float(phi_gv)
    if not np.isfinite(phi) or phi < 0:
        raise LocalObservableError(f"phi_gv must be finite and >= 0, got {phi_gv!r}")
    if phi == 0.0:
        return j.copy()
    shift = abs(nuc.z) / nuc.a * phi
    m = nuc.mass_per_nucleon_gev
    e_is = e + shift
    factor = e * (e + 2.0 * m) / (e_is * (e_is + 2.0 * m))
    flat = j.reshape(-1, e.size)
    out = np.empty_like(flat)
    for i, row in enumerate(flat):
        out[i] = _loglog(e_is, e, row, extrapolate_high=True) * factor
    return out.reshape(j.shape)


# ----------------------------------------------------------------------------------
# conversions between axes
# ----------------------------------------------------------------------------------
def _x_of_ekin(nuc: Nuclide, e_n, kind: str):
    e_n = np.asarray(e_n, dtype=float)
    if kind == "ekin_per_n":
        return e_n
    if kind == "rigidity":
        return nuc.rigidity_gv(e_n)
    if kind == "ekin_total":
        return nuc.a * e_n
    if kind == "etot":
        return nuc.a * e_n + nuc.mass_gev
    raise LocalObservableError(f"unknown x axis {kind!r}")


def _ekin_of_x(nuc: Nuclide, x, kind: str):
    """(E_n, dE_n/dx) for values of the x axis ``kind``."""
    x = np.asarray(x, dtype=float)
    if kind == "ekin_per_n":
        return x, np.ones_like(x)
    if kind == "rigidity":
        e_n = nuc.ekin_from_rigidity(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            jac = (nuc.z / nuc.a) * nuc.beta(e_n)
        return e_n, jac
    if kind == "ekin_total":
        return x / nuc.a, np.full_like(x, 1.0 / nuc.a)
    if kind == "etot":
        return (x - nuc.mass_gev) / nuc.a, np.full_like(x, 1.0 / nuc.a)
    raise LocalObservableError(f"unknown x axis {kind!r}")


def convert_flux(x, flux, species, x_from: str, x_to: str):
    """Convert one particle's flux between x axes, point by point (no interpolation).

    ``x``, ``flux``: values on the axis ``x_from`` and the flux per unit of it.
    Returns ``(x_new, flux_new)`` on the axis ``x_to`` (same points). Axes as in
    the module docstring (``"ekin"``, ``"rigidity"``, ``"ekin_total"``, ``"etot"``).
    For an element sum use :func:`local_flux`, which sums at the same x.
    """
    nuc = species if isinstance(species, Nuclide) else particle(str(species))
    k_from, k_to = _canon_x(x_from), _canon_x(x_to)
    e_n, dedx_from = _ekin_of_x(nuc, x, k_from)
    flux_n = np.asarray(flux, dtype=float) / dedx_from  # per GeV/n
    x_new = _x_of_ekin(nuc, e_n, k_to)
    _, dedx_to = _ekin_of_x(nuc, x_new, k_to)
    return x_new, flux_n * dedx_to


# ----------------------------------------------------------------------------------
# fluxes and ratios from a solution
# ----------------------------------------------------------------------------------
def _grid(ds) -> np.ndarray:
    if "ekin_gev_per_n" not in ds.coords:
        raise LocalObservableError("the dataset has no 'ekin_gev_per_n' coordinate")
    return np.asarray(ds["ekin_gev_per_n"].values, dtype=float)


def _isotope_flux(ds, name: str, phi_gv: float, variable: str) -> np.ndarray:
    if variable not in ds:
        raise LocalObservableError(f"the dataset has no variable {variable!r}")
    j = np.asarray(ds[variable].sel(species=name).values, dtype=float)
    return modulate(_grid(ds), j, particle(name), phi_gv)


def _default_x(ds, names: Sequence[str], kind: str) -> np.ndarray:
    e = _grid(ds)
    if kind == "ekin_per_n":
        return e.copy()
    nucs = [particle(n) for n in names]
    ranges = [_x_of_ekin(n, e, kind) for n in nucs]
    if all(np.allclose(r, ranges[0], rtol=1e-12) for r in ranges):
        return ranges[0]
    lo = max(r[0] for r in ranges)
    hi = min(r[-1] for r in ranges)
    if not hi > lo:
        raise LocalObservableError(f"species {list(names)} share no common range of {kind}")
    return np.geomspace(lo, hi, e.size)


def _sum_at_x(ds, names, phi_gv, kind, x_values, variable) -> np.ndarray:
    e = _grid(ds)
    total = np.zeros_like(np.asarray(x_values, dtype=float))
    for n in names:
        nuc = particle(n)
        j_n = _isotope_flux(ds, n, phi_gv, variable)
        e_n, jac = _ekin_of_x(nuc, x_values, kind)
        if kind == "ekin_per_n" and e_n.shape == e.shape and np.array_equal(e_n, e):
            vals = j_n
        else:
            vals = _loglog(e_n, e, j_n)
        total = total + vals * jac
    return total


def _make_da(x_values, values, kind, name, long_name, units, attrs):
    import xarray as xr

    coord, x_units, _ = _X_INFO[kind]
    return xr.DataArray(
        np.asarray(values, dtype=float),
        dims=(coord,),
        coords={coord: (coord, np.asarray(x_values, dtype=float), {"units": x_units})},
        name=name,
        attrs={"units": units, "long_name": long_name, "x_kind": kind, **attrs},
    )


def local_flux(
    ds,
    element_or_isotope: str,
    phi_gv: float = 0.0,
    x: str = "ekin",
    x_values=None,
    variable: str = "flux_local",
):
    """Flux at the Sun of an element, isotope or sum, optionally force-field modulated.

    Parameters
    ----------
    ds : solution dataset (needs ``flux_local`` and the coordinates species, ekin_gev_per_n).
    element_or_isotope : species expression (``"C"``, ``"12C"``, ``"p"``, ``"pbar"``,
        ``"e+"``, ``"Sc+Ti+V"``, ``"e+e-"``).
    phi_gv : force-field potential [GV]; 0 gives the interstellar flux.
    x : ``"ekin"`` (per nucleon), ``"rigidity"``, ``"ekin_total"`` or ``"etot"``.
    x_values : where to evaluate (units of ``x``); default: the model grid for
        ``"ekin"``; for other axes the grid nodes mapped to that axis when a single
        isotope is asked for, else a log grid over the range every isotope covers.
    variable : dataset variable with the interstellar flux per GeV/n.

    Returns an :class:`xarray.DataArray` on the coordinate ``ekin_gev_per_n`` /
    ``rigidity_gv`` / ``ekin_gev`` / ``etot_gev`` with ``units`` attributes
    (flux per unit of x). Attributes also record ``phi_gv`` and the summed species.
    Isotopes are summed at the same value of x. NaN where x lies outside the grid.
    """
    kind = _canon_x(x)
    names = isotopes_in(ds, element_or_isotope)
    xv = _default_x(ds, names, kind) if x_values is None else np.asarray(x_values, dtype=float)
    vals = _sum_at_x(ds, names, float(phi_gv), kind, xv, variable)
    state = "modulated (force field)" if phi_gv else "interstellar"
    return _make_da(
        xv,
        vals,
        kind,
        f"flux_{element_or_isotope}",
        f"{state} flux of {element_or_isotope} at the Sun",
        _X_INFO[kind][2],
        {"phi_gv": float(phi_gv), "species": " ".join(names)},
    )


def ratio(
    ds,
    num: str,
    den: str,
    phi_gv: float = 0.0,
    x: str = "ekin",
    x_values=None,
    variable: str = "flux_local",
):
    """Flux ratio num/den (e.g. ``"B"``, ``"C"``) at the same E_n (``x="ekin"``) or rigidity.

    Both fluxes are modulated with the same ``phi_gv`` and evaluated at the same
    x values (default as in :func:`local_flux`, over the range common to all the
    isotopes of numerator and denominator). Returns a dimensionless DataArray.
    """
    kind = _canon_x(x)
    n_names = isotopes_in(ds, num)
    d_names = isotopes_in(ds, den)
    if x_values is None:
        xv = _default_x(ds, list(dict.fromkeys(n_names + d_names)), kind)
    else:
        xv = np.asarray(x_values, dtype=float)
    jn = _sum_at_x(ds, n_names, float(phi_gv), kind, xv, variable)
    jd = _sum_at_x(ds, d_names, float(phi_gv), kind, xv, variable)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(jd != 0, jn / np.where(jd != 0, jd, 1.0), np.nan)
    return _make_da(
        xv,
        r,
        kind,
        f"{num}/{den}",
        f"{num}/{den} ratio at the Sun",
        "1",
        {"phi_gv": float(phi_gv), "numerator": " ".join(n_names), "denominator": " ".join(d_names)},
    )


def _split_observable(name: str) -> tuple[str, str | None]:
    s = str(name).strip().replace(" ", "")
    s = _OBSERVABLE_ALIASES.get(s.lower(), s)
    if "/" in s:
        num, den = s.split("/", 1)
        return num.strip("()"), den.strip("()")
    return s, None


def observable(
    ds, name: str, phi_gv: float = 0.0, x: str = "ekin", x_values=None, variable: str = "flux_local"
):
    """A flux or a ratio by its data name: ``"C"``, ``"B/C"``, ``"10Be/9Be"``, ``"pbar/p"``,
    ``"posfraction"`` (e+/(e+ + e-)), ``"(Sc+Ti+V)/Fe"`` (alias ``"SubFe/Fe"``), ``"e+e-"``,
    ``"light"`` (H+He), ``"allParticle"`` (every nucleus and pbar).

    Dispatches to :func:`ratio` or :func:`local_flux`.
    """
    num, den = _split_observable(name)
    if num.lower() == "allparticle":
        num = "+".join(n for n in _species_names(ds) if n not in LEPTONS)
    if den is None:
        return local_flux(ds, num, phi_gv, x, x_values, variable)
    return ratio(ds, num, den, phi_gv, x, x_values, variable)


def predict(ds, measurement, phi_gv: float = 0.0, variable: str = "flux_local") -> np.ndarray:
    """The model value of a measurement's observable at its x points (numpy array).

    ``measurement`` is anything with ``observable``, ``x`` and ``x_kind`` attributes in
    the data convention of :class:`escapade.measurements.Measurement` (``x_kind`` one of
    ``"ekin_per_n"``, ``"rigidity"``, ``"ekin"`` = total kinetic energy, ``"etot"``).
    """
    kind = _MEASUREMENT_X.get(measurement.x_kind)
    if kind is None:
        raise LocalObservableError(
            f"unknown x_kind {measurement.x_kind!r}; allowed: {', '.join(_MEASUREMENT_X)}"
        )
    da = observable(
        ds, measurement.observable, phi_gv, kind, np.asarray(measurement.x, dtype=float), variable
    )
    return np.asarray(da.values, dtype=float)

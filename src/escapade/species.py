"""Nuclides: names, charge, mass number, rest mass and rigidity kinematics.

Names follow the usual isotope notation, mass number first: ``"1H"``, ``"4He"``,
``"12C"``, ``"10Be"``. Antiprotons are ``"pbar"``. Rest masses are
``A * u`` except for the proton, the deuteron-free hydrogen ``1H`` (the proton
mass) and the antiproton; the mass defect (< 1 %) is irrelevant for propagation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .constants import AMU_GEV, M_PROTON_GEV

ELEMENTS: tuple[str, ...] = (
    "n",
    "H",
    "He",
    "Li",
    "Be",
    "B",
    "C",
    "N",
    "O",
    "F",
    "Ne",
    "Na",
    "Mg",
    "Al",
    "Si",
    "P",
    "S",
    "Cl",
    "Ar",
    "K",
    "Ca",
    "Sc",
    "Ti",
    "V",
    "Cr",
    "Mn",
    "Fe",
    "Co",
    "Ni",
    "Cu",
    "Zn",
)
"""Element symbols indexed by charge number Z (``ELEMENTS[6] == "C"``)."""

_NAME_RE = re.compile(r"^(\d{1,3})([A-Z][a-z]?)$")


class SpeciesError(ValueError):
    """A species name that escapade does not know."""


@dataclass(frozen=True)
class Nuclide:
    """A cosmic-ray species.

    Attributes
    ----------
    name : isotope name (``"12C"``) or ``"pbar"``.
    z : charge number (signed for antiparticles is not used: ``abs`` charge).
    a : mass number (nucleons).
    mass_gev : rest energy of the whole nucleus in GeV.
    """

    name: str
    z: int
    a: int
    mass_gev: float

    @property
    def element(self) -> str:
        return "pbar" if self.name == "pbar" else ELEMENTS[self.z]

    @property
    def mass_per_nucleon_gev(self) -> float:
        return self.mass_gev / self.a

    def rigidity_gv(self, ekin_gev_per_n):
        """Rigidity R = p c / (Z e) in GV for a kinetic energy per nucleon (GeV/n)."""
        m = self.mass_per_nucleon_gev
        e = np.asarray(ekin_gev_per_n, dtype=float)
        return self.a * np.sqrt(e * (e + 2.0 * m)) / self.z

    def ekin_from_rigidity(self, rigidity_gv):
        """Kinetic energy per nucleon (GeV/n) for a rigidity (GV)."""
        m = self.mass_per_nucleon_gev
        p_n = self.z * np.asarray(rigidity_gv, dtype=float) / self.a
        return np.sqrt(p_n**2 + m**2) - m

    def beta(self, ekin_gev_per_n):
        """Speed v/c for a kinetic energy per nucleon (GeV/n)."""
        m = self.mass_per_nucleon_gev
        e = np.asarray(ekin_gev_per_n, dtype=float)
        return np.sqrt(e * (e + 2.0 * m)) / (e + m)

    def gamma(self, ekin_gev_per_n):
        """Lorentz factor for a kinetic energy per nucleon (GeV/n)."""
        return 1.0 + np.asarray(ekin_gev_per_n, dtype=float) / self.mass_per_nucleon_gev

    def drigidity_dekin(self, ekin_gev_per_n):
        """dR/dE_kin,n in GV per GeV/n: (A/Z)/beta."""
        return (self.a / self.z) / self.beta(ekin_gev_per_n)


def nuclide(name: str) -> Nuclide:
    """Return the :class:`Nuclide` for an isotope name such as ``"4He"``.

    Raises :class:`SpeciesError` naming the allowed form for anything else.
    """
    if name == "pbar":
        return Nuclide("pbar", 1, 1, M_PROTON_GEV)
    m = _NAME_RE.match(name)
    if not m:
        raise SpeciesError(
            f"species {name!r} is not an isotope name; allowed: mass number then element "
            "symbol, e.g. '1H', '4He', '12C', or 'pbar'"
        )
    a = int(m.group(1))
    sym = m.group(2)
    if sym not in ELEMENTS[1:]:
        raise SpeciesError(
            f"species {name!r}: unknown element {sym!r}; allowed: {', '.join(ELEMENTS[1:])}"
        )
    z = ELEMENTS.index(sym)
    if a < z or a > 3 * z + 10:
        raise SpeciesError(f"species {name!r}: mass number {a} is impossible for Z = {z}")
    mass = M_PROTON_GEV if (z == 1 and a == 1) else a * AMU_GEV
    return Nuclide(name, z, a, mass)


def sort_heaviest_first(names: list[str]) -> list[str]:
    """Order species for the network: heaviest (A, then Z) first."""
    return sorted(names, key=lambda n: (-nuclide(n).a, -nuclide(n).z))


__all__ = ["ELEMENTS", "Nuclide", "SpeciesError", "nuclide", "sort_heaviest_first"]

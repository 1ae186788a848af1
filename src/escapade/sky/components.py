"""Names and units of the components of a sky map.

Gas phases of the pi0 maps, the leptonic processes, and the intensity unit as
escapade writes it in xarray attributes and in FITS headers.
"""

__all__ = ["FITS_UNIT", "LEPTONIC", "PHASES", "UNITS_INTENSITY"]

PHASES = ("HI", "H2", "HII")
"""Gas phases of a map: atomic, molecular (2 n_H2 atoms) and ionised hydrogen."""

LEPTONIC = ("IC", "bremsstrahlung")
"""Leptonic components of a map (solutions with e- and e+)."""

UNITS_INTENSITY = "ph cm^-2 s^-1 sr^-1"
FITS_UNIT = "cm-2 s-1 sr-1"

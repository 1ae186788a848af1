"""The Galaxy: cosmic-ray source distributions and the interstellar gas."""

from .gas import AnalyticGas, GasOnGrid
from .sources import RADIAL_PROFILES, RadialProfile, SourceDistribution, VerticalProfile

__all__ = [
    "AnalyticGas",
    "GasOnGrid",
    "RADIAL_PROFILES",
    "RadialProfile",
    "SourceDistribution",
    "VerticalProfile",
]

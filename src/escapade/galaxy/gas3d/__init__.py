"""Survey-constrained 3D interstellar gas (``[gas] model = "survey3d"``).

* :mod:`.pohl2008`: the 3D H2 cube of Pohl, Englmaier & Bissantz 2008;
* :mod:`.hi_disc`: a 3D HI disc with the observed flare and warp;
* :mod:`.survey`: sight lines, HEALPix pixels and the line-of-sight quadrature;
* :mod:`.model`: :class:`SurveyGas3D`, the gas with a 3D face and an azimuthal-average face;
* :mod:`.files`: the shipped files and the one-line errors of a bad one.
"""

from .build import build_gas
from .files import GasDataError
from .hi_disc import HIDisc
from .model import DUST_TO_GAS_BOHLIN1978, DUST_TO_GAS_LENZ2017, SurveyGas3D, SurveyOptions
from .pohl2008 import PohlH2Cube

__all__ = [
    "DUST_TO_GAS_BOHLIN1978",
    "DUST_TO_GAS_LENZ2017",
    "GasDataError",
    "HIDisc",
    "PohlH2Cube",
    "SurveyGas3D",
    "SurveyOptions",
    "build_gas",
]

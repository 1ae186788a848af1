"""The gas files of the survey3d model: where they are, how they are read, what a bad one says.

The files ship in ``escapade/data/gas/models3d`` and ``escapade/data/gas/surveys``; their
provenance (source, paper, licence, units) is ``escapade/data/gas/PROVENANCE_3D.md``.
A missing or damaged file raises :class:`GasDataError` with one line naming the file and
what was expected of it.
"""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from ...config import ConfigError

POHL2008_FILE = "models3d/Pohl2008_H2_3D_mod-total-rev2int.fit.gz"
"""The 3D H2 cube of Pohl, Englmaier & Bissantz 2008 (ApJ 677, 283)."""
HI4PI_FILE = "surveys/HI4PI_NHI_healpix_nside64.fits"
"""Total N_HI of the HI4PI Collaboration 2016 (A&A 594, A116), HEALPix nside 64."""
EBV_FILES = {
    "planck13": "surveys/Planck13_EBV_healpix_nside64.fits",
    "sfd98": "surveys/SFD98_EBV_healpix_nside64.fits",
}
"""E(B-V) maps: Planck Collaboration 2014 (A&A 571, A11); Schlegel et al. 1998 (ApJ 500, 525)."""

POHL2008_SHAPE = (40, 300, 300)
"""numpy shape (z, y, x) of the Pohl et al. cube."""


class GasDataError(ConfigError):
    """A gas data file is missing or is not what the survey3d model expects (one line).

    A :class:`escapade.config.ConfigError`: the configuration names a model whose file is
    unusable, so the command line reports it in one line with exit status 2.
    """


def packaged(name: str) -> Path:
    """The path of a shipped gas file, ``name`` relative to ``escapade/data/gas``."""
    return Path(str(resources.files("escapade.data.gas").joinpath(name)))


def _open_fits(path: Path, expected: str):
    from astropy.io import fits

    if not path.is_file():
        raise GasDataError(f"gas file {path} is missing: expected {expected}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the Pohl header has non-standard DATAMIN cards
            return fits.open(path, memmap=False)
    except (OSError, ValueError, EOFError) as exc:
        raise GasDataError(f"gas file {path} is damaged ({exc}): expected {expected}") from None


def read_pohl2008_raw(path: Path) -> tuple[np.ndarray, dict[str, float]]:
    """The Pohl et al. 2008 cube in n_H2 cm^-3 (unclipped, float64, shape (z, y, x)) and its axes.

    The axes dict holds ``x0, dx, y0, dy, z0, dz`` in kpc (the header gives pc: CRVALi is the
    centre of pixel CRPIXi = 1, CDELTi the spacing). BSCALE is applied by astropy.
    """
    expected = f"a FITS image of shape {POHL2008_SHAPE} (z, y, x) with x, y, z axes in pc"
    with _open_fits(path, expected) as hdul:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = np.asarray(hdul[0].data, dtype=float)
                if data.shape != POHL2008_SHAPE:
                    raise ValueError(f"shape {data.shape}")
                hdr = hdul[0].header
                axes = {}
                for ax, key in ((1, "x"), (2, "y"), (3, "z")):
                    if float(hdr.get(f"CRPIX{ax}", 1)) != 1.0:
                        raise ValueError(f"CRPIX{ax} != 1")
                    axes[f"{key}0"] = float(hdr[f"CRVAL{ax}"]) / 1000.0
                    axes[f"d{key}"] = float(hdr[f"CDELT{ax}"]) / 1000.0
        except (KeyError, ValueError, TypeError, OSError, EOFError) as exc:
            raise GasDataError(f"gas file {path} is damaged ({exc}): expected {expected}") from None
    if not np.all(np.isfinite(data)):
        raise GasDataError(f"gas file {path} has non-finite values: expected {expected}")
    return data, axes


def read_healpix_map(path: Path, what: str) -> np.ndarray:
    """A full-sky HEALPix map (column ``I``, RING, Galactic, nside 64) as float64 (npix,)."""
    expected = f"{what}: a HEALPix BinTable, column 'I', RING ordering, NSIDE 64, 49152 pixels"
    with _open_fits(path, expected) as hdul:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a truncated file: the error below says it
                hdu = hdul[1]
                hdr = hdu.header
                values = np.asarray(hdu.data["I"], dtype=float).ravel()
                ordering = str(hdr.get("ORDERING", "")).strip().upper()
                nside = int(hdr.get("NSIDE", -1))
        except (IndexError, KeyError, TypeError, ValueError, OSError, EOFError) as exc:
            raise GasDataError(f"gas file {path} is damaged ({exc}): expected {expected}") from None
    if ordering != "RING" or nside != 64 or values.size != 12 * 64**2:
        raise GasDataError(
            f"gas file {path} has ORDERING={ordering!r}, NSIDE={nside}, {values.size} pixels: "
            f"expected {expected}"
        )
    if not np.all(np.isfinite(values)):
        raise GasDataError(f"gas file {path} has non-finite pixels: expected {expected}")
    return values

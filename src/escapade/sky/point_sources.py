"""Point sources of the Fermi-LAT 4FGL-DR2 catalogue as a sky-map component.

Catalogue: ``gamma/Fermi_4FGL-DR2_catalog_extract.txt`` (shipped; a verbatim copy of
``data/Catalog-4FGL_DR2.dat`` of carmeloevoli/FermiDiffuseEmissionData, provenance in
its header and in ``/work/shared/data/README.md``). 4FGL: Abdollahi et al. 2020, ApJS
247, 33 (arXiv:1902.10045); DR2: Ballet et al. 2020, arXiv:2005.11208. Columns: name,
Galactic l and b (deg), a position error (0.0068 deg in every row, not the catalogue's
error ellipse), ``Flux1000`` (the 1-100 GeV photon flux), the power-law normalisation
(ph cm^-2 MeV^-1 s^-1 at the source's pivot energy, which the extract does not list)
and the power-law index. The header labels the flux column 'ph cm-2 MeV-1 s-1'; it is
ph cm^-2 s^-1: with that unit, Flux1000 = K E0^G int_1^100 GeV E^-G dE gives pivot
energies E0 between 50 MeV and 220 GeV, median 1.8 GeV, inside the 50 MeV-1 TeV band
of the 4FGL analysis, as pivots must be (a test pins this). One row (4FGL J0534.5+2201i, the Crab's
inverse-Compton component, which 4FGL models with its own spectral form) has no
power-law parameters and is dropped.

Spectral forms of 4FGL (Abdollahi et al. 2020, dN/dE in ph cm^-2 MeV^-1 s^-1, E and
the pivot E0 in MeV): :func:`powerlaw` K (E/E0)^-G; :func:`logparabola`
K (E/E0)^(-alpha - beta ln(E/E0)); :func:`plsuperexpcutoff2` (the DR1/DR2 form)
K (E/E0)^-G exp(a (E0^b - E^b)). :func:`integral_flux` integrates any of them over a
band. The extract carries only the power-law parameters, so :meth:`PointSources.band_flux`
uses the power-law shape anchored on Flux1000: F(E1, E2) = Flux1000 int_E1^E2 E^-G dE /
int_1^100 E^-G dE. For the curved sources of 4FGL (pulsars such as Vela, the bright
LogParabola blazars) this shape is an approximation; their curved parameters are not in
the extract.

Maps (:func:`point_source_map`): HEALPix RING, Galactic, any nside, intensity in
ph cm^-2 s^-1 sr^-1 = flux / Omega_pix. Default ``psf=None``: each source's band flux in
the pixel holding its position. ``psf`` = a number: a Gaussian of that sigma (deg),
weights exp(-theta^2 / 2 sigma^2) over the pixel centres within 5 sigma, normalised so
that each source keeps its flux exactly. ``psf="psf3"``: that Gaussian with sigma = the
energy scale factor S_P(E) of the Fermi-LAT P8R3_V2 PSF3 event type at the lower band
edge, S_P = sqrt((c0 (E/100 MeV)^-beta)^2 + c1^2), c0 = 4.97e-2 rad, c1 = 6.13e-4 rad,
beta = 0.8 (Fermi Cicerone, "The Point Spread Function"): it sets the PSF's scale, not
its King-function shape (no IRF file ships here), and for 2-20 GeV it is 0.26 deg at
2 GeV, below the 0.46-deg pixels of nside 128, so the pixel deposit is adequate there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import astropy.units as u
import numpy as np
from astropy_healpix import lonlat_to_healpix, nside_to_npix
from astropy_healpix.core import healpix_cone_search

from .maps import SkyMap
from .pixels import pixel_lonlat_deg

__all__ = [
    "CATALOGUE_4FGL_DR2",
    "PointSources",
    "integral_flux",
    "load_4fgl_dr2",
    "logparabola",
    "plsuperexpcutoff2",
    "point_source_map",
    "point_source_skymap",
    "powerlaw",
    "psf3_scale_deg",
]

CATALOGUE_4FGL_DR2 = "Fermi_4FGL-DR2_catalog_extract.txt"
FLUX1000_BAND_GEV = (1.0, 100.0)
PSF3_SCALE_P8R3_V2 = {"c0_rad": 4.97e-2, "c1_rad": 6.13e-4, "beta": 0.8}
"""Fermi Cicerone (LAT IRFs, PSF): P8R3_V2 PSF3 scale-factor parameters."""


def powerlaw(e_mev, k, e0_mev, index):
    """4FGL PowerLaw: K (E/E0)^-index (ph cm^-2 MeV^-1 s^-1)."""
    return k * (np.asarray(e_mev, float) / e0_mev) ** (-index)


def logparabola(e_mev, k, e0_mev, alpha, beta):
    """4FGL LogParabola: K (E/E0)^(-alpha - beta ln(E/E0))."""
    x = np.log(np.asarray(e_mev, float) / e0_mev)
    return k * np.exp(-(alpha + beta * x) * x)


def plsuperexpcutoff2(e_mev, k, e0_mev, index1, a, b):
    """4FGL-DR1/DR2 PLSuperExpCutoff2: K (E/E0)^-index1 exp(a (E0^b - E^b)), E in MeV."""
    e = np.asarray(e_mev, float)
    return k * (e / e0_mev) ** (-index1) * np.exp(a * (e0_mev**b - e**b))


def integral_flux(dnde, band_gev, n: int = 2001) -> float:
    """int dN/dE dE over ``band_gev`` for a callable dN/dE(E in MeV) (ph cm^-2 s^-1).

    Trapezoid in ln E on ``n`` points (E dN/dE is smooth in ln E; 2001 points give
    < 1e-6 relative error for the 4FGL forms over a decade).
    """
    e1, e2 = _check_band(band_gev)
    x = np.linspace(math.log(e1 * 1e3), math.log(e2 * 1e3), n)
    e = np.exp(x)
    return float(np.trapezoid(e * dnde(e), x))


def _pl_integral(index, e1, e2):
    """int_e1^e2 E^-index dE, elementwise (index = 1 handled)."""
    index = np.asarray(index, float)
    g = 1.0 - index
    near = np.abs(g) < 1e-8
    safe = np.where(near, 1.0, g)
    return np.where(near, math.log(e2 / e1), (e2**safe - e1**safe) / safe)


def _check_band(band_gev) -> tuple[float, float]:
    try:
        e1, e2 = (float(x) for x in band_gev)
    except (TypeError, ValueError):
        raise ValueError(f"band_gev={band_gev!r}: give (E1, E2) in GeV with 0 < E1 < E2") from None
    if not (0.0 < e1 < e2 and math.isfinite(e2)):
        raise ValueError(f"band_gev={band_gev!r}: give (E1, E2) in GeV with 0 < E1 < E2")
    return e1, e2


@dataclass(frozen=True)
class PointSources:
    """Point sources: names, Galactic positions (deg) and power-law spectra.

    ``flux1000``: photon flux 1-100 GeV (ph cm^-2 s^-1); ``pl_norm``: power-law
    normalisation at the (unlisted) pivot (ph cm^-2 MeV^-1 s^-1); ``pl_index``.
    """

    name: np.ndarray
    l_deg: np.ndarray
    b_deg: np.ndarray
    flux1000: np.ndarray
    pl_norm: np.ndarray
    pl_index: np.ndarray
    dropped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.name.size)

    def band_flux(self, band_gev) -> np.ndarray:
        """Photon flux of each source in ``band_gev`` (ph cm^-2 s^-1), power law on Flux1000."""
        e1, e2 = _check_band(band_gev)
        ref = _pl_integral(self.pl_index, *FLUX1000_BAND_GEV)
        return self.flux1000 * _pl_integral(self.pl_index, e1, e2) / ref

    def implied_pivot_mev(self) -> np.ndarray:
        """The pivot E0 (MeV) for which K (E/E0)^-G integrates to Flux1000 over 1-100 GeV."""
        g = self.pl_index
        integral = _pl_integral(g, 1e3, 1e5)
        return (self.flux1000 / (self.pl_norm * integral)) ** (1.0 / g)

    def subset(self, index) -> PointSources:
        idx = np.asarray(index)
        return PointSources(
            self.name[idx],
            self.l_deg[idx],
            self.b_deg[idx],
            self.flux1000[idx],
            self.pl_norm[idx],
            self.pl_index[idx],
            self.dropped,
        )

    def brightest(self, n: int, band_gev) -> PointSources:
        """The ``n`` sources of highest flux in ``band_gev``, brightest first."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n_brightest={n!r}: give a whole number >= 1 (or None for all)")
        order = np.argsort(-self.band_flux(band_gev), kind="stable")
        return self.subset(order[: int(n)])


@cache
def load_4fgl_dr2() -> PointSources:
    """The shipped 4FGL-DR2 extract (rows without power-law parameters dropped)."""
    ref = resources.files("escapade.data.gamma").joinpath(CATALOGUE_4FGL_DR2)
    names, cols = [], []
    with ref.open("r", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            p = line.split()
            names.append(p[0])
            cols.append([float(x) for x in p[1:7]])
    t = np.array(cols)
    name = np.array(names)
    ok = np.all(np.isfinite(t), axis=1)
    return PointSources(
        name[ok],
        t[ok, 0],
        t[ok, 1],
        t[ok, 3],
        t[ok, 4],
        t[ok, 5],
        dropped=tuple(name[~ok]),
    )


def psf3_scale_deg(e_gev: float) -> float:
    """Fermi-LAT P8R3_V2 PSF3 scale factor S_P(E) in degrees (see the module docstring)."""
    p = PSF3_SCALE_P8R3_V2
    s = math.hypot(p["c0_rad"] * (e_gev * 1e3 / 100.0) ** (-p["beta"]), p["c1_rad"])
    return math.degrees(s)


def _psf_sigma(psf, band) -> float | None:
    if psf is None:
        return None
    if isinstance(psf, str):
        if psf != "psf3":
            raise ValueError(f"psf={psf!r}: use None (pixel deposit), 'psf3' or a sigma in deg > 0")
        return psf3_scale_deg(band[0])
    sigma = float(psf)
    if not (sigma > 0.0 and math.isfinite(sigma)):
        raise ValueError(f"psf={psf!r}: use None (pixel deposit), 'psf3' or a sigma in deg > 0")
    return sigma


def _check_nside(nside) -> int:
    if isinstance(nside, bool) or not isinstance(nside, (int, np.integer)):
        raise ValueError(f"nside={nside!r}: give a power of two from 1 to 8192")
    if nside < 1 or nside > 8192 or (nside & (nside - 1)):
        raise ValueError(f"nside={nside!r}: give a power of two from 1 to 8192")
    return int(nside)


def _unit_vectors(lon_deg, lat_deg) -> np.ndarray:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def _deposit_gaussian(out, nside, lon, lat, flux, sigma_deg, centre_pix):
    """Add each source's flux spread as a normalised Gaussian over pixel centres."""
    s = math.radians(sigma_deg)
    pix_vec = _unit_vectors(*pixel_lonlat_deg(nside))
    src_vec = _unit_vectors(lon, lat)
    radius = 5.0 * sigma_deg * u.deg
    for i in range(lon.size):
        pix = healpix_cone_search(lon[i] * u.deg, lat[i] * u.deg, radius, nside)
        pix = np.union1d(pix, [centre_pix[i]])
        cosd = pix_vec[pix] @ src_vec[i]
        theta = np.arccos(np.clip(cosd, -1.0, 1.0))
        w = np.exp(-0.5 * (theta / s) ** 2)
        out[pix] += flux[i] * w / w.sum()


def point_source_map(
    nside: int,
    band_gev,
    sources: PointSources | None = None,
    n_brightest: int | None = None,
    psf=None,
) -> np.ndarray:
    """HEALPix (RING, Galactic) intensity map of point sources, ph cm^-2 s^-1 sr^-1.

    ``sources``: a :class:`PointSources` (default: the shipped 4FGL-DR2 extract);
    ``n_brightest``: keep only the n brightest in the band (None: all); ``psf``: None
    (each flux in the pixel holding the source), a Gaussian sigma in deg, or ``"psf3"``
    (see the module docstring). The map's sky integral sum(I Omega_pix) equals the sum of
    the sources' band fluxes.
    """
    nside = _check_nside(nside)
    band = _check_band(band_gev)
    cat = load_4fgl_dr2() if sources is None else sources
    if n_brightest is not None:
        cat = cat.brightest(n_brightest, band)
    sigma = _psf_sigma(psf, band)
    flux = cat.band_flux(band)
    lon, lat = cat.l_deg % 360.0, cat.b_deg
    centre = lonlat_to_healpix(lon * u.deg, lat * u.deg, nside, order="ring")
    npix = nside_to_npix(nside)
    out = np.zeros(npix)
    if sigma is None:
        out += np.bincount(centre, weights=flux, minlength=npix)
    else:
        _deposit_gaussian(out, nside, lon, lat, flux, sigma, centre)
    return out / (4.0 * math.pi / npix)


def point_source_skymap(
    nside: int,
    band_gev,
    sources: PointSources | None = None,
    n_brightest: int | None = None,
    psf=None,
) -> SkyMap:
    """:func:`point_source_map` as a :class:`SkyMap` with the component ``point_sources``."""
    m = point_source_map(nside, band_gev, sources, n_brightest, psf)
    cat = load_4fgl_dr2() if sources is None else sources
    meta = {
        "catalogue": "4FGL-DR2 (Abdollahi et al. 2020; Ballet et al. 2020) extract",
        "n_sources": len(cat) if n_brightest is None else min(int(n_brightest), len(cat)),
        "psf": "pixel" if psf is None else str(psf),
        "spectrum": "power law anchored on Flux1000",
    }
    return SkyMap(int(nside), tuple(float(x) for x in band_gev), {"point_sources": m}, meta=meta)

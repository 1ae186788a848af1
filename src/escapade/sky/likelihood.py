"""Template fit of the Fermi-LAT counts map: a Poisson likelihood with nuisance terms.

The model of the counts in pixel p is

    mu_p = exposure_p * Omega_pix * sum_k a_k T_k,p

for template intensity maps T_k (ph cm^-2 s^-1 sr^-1 in the band, HEALPix RING,
Galactic, at the data's nside; e.g. pi0 + bremsstrahlung of each gas phase, H2 in
Galactocentric rings so that X_CO can vary with radius, IC, the 4FGL point sources of
:mod:`escapade.sky.point_sources`) with free non-negative normalisations a_k, fitted with
iminuit (MIGRAD, then HESSE for the covariance) over the pixels of a region
(:data:`REGIONS`: ``"absb5"`` |b| < 5 deg, the default, or ``"absb8"`` |b| < 8 deg, all
longitudes; or a :class:`Region`), the shipped point-source mask optionally applied.

Statistic. With ``systematic_fraction = 0`` the Poisson likelihood of the pixel
counts, -2 ln L = 2 sum_p [mu_p - n_p ln mu_p + ln n_p!] (the Cash statistic up to
the constant; Cash 1979). With a model-systematic fraction f > 0 the
pixels are first regrouped into the pixels of a coarser HEALPix grid
(``regroup_nside``, default 16: 3.7 deg pixels) so that each group has many counts,
and each group gets a Gaussian likelihood whose variance is the Poisson variance plus
a fractional model error added in quadrature, var_g = mu_g + (f mu_g)^2:
-2 ln L = sum_g [(n_g - mu_g)^2 / var_g + ln(2 pi var_g)] (the ln var term keeps the
likelihood normalised, so -2 ln L of different models can be compared at the same f).
This is the fractional model uncertainty added in quadrature that issue 16 prescribes
(no published analysis is followed line by line). Other published treatments of model
imperfection, not implemented here: the Fermi-LAT catalogue analysis down-weights pixels
with many counts (the weighted likelihood of 4FGL, Abdollahi et al. 2020, ApJS 247, 33;
its goodness-of-fit companion, Bruel 2021, A&A 656, A81), and SkyFACT (Storm, Weniger &
Calore 2017, arXiv:1705.04065) gives the templates many regularised nuisance parameters.
f is a named nuisance: it is fixed in a fit, and the likelihood can be profiled over it
by fitting at several values.

Isotropic term. ``isotropic=True`` adds the template ``isotropic``, the Fermi-LAT
isotropic gamma-ray background of Ackermann et al. 2015 (ApJ 799, 86, foreground model
A; :func:`escapade.sky.compare.igrb_intensity`, 1.29e-7 ph cm^-2 s^-1 sr^-1 in 2-20 GeV),
constant over the sky. Its normalisation has a Gaussian prior around 1,
-2 ln L += ((a_iso - 1) / w)^2, with w = ``isotropic_prior_width`` (fractional;
None: no prior). The default w = 0.3 is a choice of this module, not a published
uncertainty of the IGRB; state the width used when quoting a fit.

Errors. MIGRAD finds the minimum (the normalisations bounded at 0); HESSE is run and
its errors are kept as ``hesse_errors``. The reported covariance is the inverse of half
the Hessian of -2 ln L in the normalisations themselves at that minimum, computed
analytically (the model is linear in a_k): it equals HESSE's away from the limit, and it
stays meaningful for a normalisation at or near 0, where HESSE's error, propagated
through MINUIT's transform of a bounded parameter, is not (zero or absurdly large).
Normalisations within 1 % of their error of 0 are listed in ``at_limit``.

Goodness of fit. The result carries -2 ln L of the statistic used, the Poisson deviance
D = 2 sum_p [mu_p - n_p + n_p ln(n_p / mu_p)] of the pixels at the best fit (chi2-like,
asymptotically chi2 with ``ndof`` = pixels - free normalisations degrees of freedom) and,
with f > 0, the chi2 of the regrouped counts sum_g (n_g - mu_g)^2 / var_g with its own
number of degrees of freedom.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
from astropy_healpix.core import ring_to_nested
from iminuit import Minuit
from scipy.optimize import nnls
from scipy.special import gammaln

from ..io import atomic_path
from .compare import igrb_intensity, regrid
from .fermi import load_fermi_maps
from .pixels import pixel_lonlat_deg

__all__ = [
    "REGIONS",
    "Region",
    "TemplateFitResult",
    "fit_templates",
    "predicted_counts",
    "region_pixels",
    "templates_from_skymap",
]

ISOTROPIC = "isotropic"


@dataclass(frozen=True)
class Region:
    """Pixels with b_min <= |b| < b_max and l in [l_min, l_max) (l from -180 to 180 deg)."""

    name: str
    b_max_deg: float
    b_min_deg: float = 0.0
    l_min_deg: float = -180.0
    l_max_deg: float = 180.0


REGIONS = {
    "absb5": Region("absb5", 5.0),
    "absb8": Region("absb8", 8.0),
}
"""Named regions: ``absb5`` (|b| < 5 deg, all longitudes; the default) and ``absb8``."""


def _region(region) -> Region:
    if isinstance(region, Region):
        r = region
    elif isinstance(region, str) and region in REGIONS:
        r = REGIONS[region]
    else:
        raise ValueError(
            f"region={region!r}: use one of {', '.join(map(repr, REGIONS))} or a Region"
        )
    if not (0.0 <= r.b_min_deg < r.b_max_deg <= 90.0 and r.l_min_deg < r.l_max_deg):
        raise ValueError(f"region={r!r}: needs 0 <= b_min < b_max <= 90 and l_min < l_max")
    return r


def region_pixels(region, nside: int) -> np.ndarray:
    """Boolean map (RING) of the pixel centres inside ``region``."""
    r = _region(region)
    lon, lat = pixel_lonlat_deg(nside)
    lw = (lon + 180.0) % 360.0 - 180.0
    ab = np.abs(lat)
    return (ab >= r.b_min_deg) & (ab < r.b_max_deg) & (lw >= r.l_min_deg) & (lw < r.l_max_deg)


def templates_from_skymap(smap, components=None, nside: int = 128) -> dict[str, np.ndarray]:
    """Template maps of a :class:`~escapade.sky.maps.SkyMap` at ``nside`` (the data's).

    ``components``: the names to take (default: every component except the sums
    ``total`` and ``pi0``, so that each phase and IC/bremsstrahlung gets its own
    normalisation); maps at another resolution are brought to ``nside`` with
    :func:`escapade.sky.compare.regrid`.
    """
    names = (
        [c for c in smap.maps if c not in ("total", "pi0")] if components is None else components
    )
    missing = [c for c in names if c not in smap.maps]
    if missing:
        raise ValueError(
            f"components={list(names)!r}: the sky map has no {missing[0]!r} "
            f"(it has {', '.join(smap.maps)})"
        )
    return {c: regrid(smap.maps[c], nside) for c in names}


def predicted_counts(templates: Mapping[str, np.ndarray], norms, exposure) -> np.ndarray:
    """mu_p = exposure_p Omega_pix sum_k a_k T_k,p for templates in the order given."""
    exposure = np.asarray(exposure, float)
    omega = 4.0 * math.pi / exposure.size
    total = np.zeros(exposure.size)
    for a, t in zip(norms, templates.values(), strict=True):
        total += a * np.asarray(t, float)
    return exposure * omega * total


@dataclass
class TemplateFitResult:
    """Best-fit normalisations of a template fit, their errors and the fit's statistics."""

    names: list[str]
    values: np.ndarray
    errors: np.ndarray
    covariance: np.ndarray
    minus2lnl: float
    deviance: float
    ndof: int
    n_pixels: int
    n_counts: float
    statistic: str
    region: dict
    band_gev: list[float]
    mask_point_sources: bool
    systematic_fraction: float
    regroup_nside: int | None
    isotropic_intensity: float | None
    isotropic_prior_width: float | None
    chi2_groups: float | None = None
    ndof_groups: int | None = None
    at_limit: list[str] = field(default_factory=list)
    hesse_errors: np.ndarray | None = None
    valid: bool = True
    nfcn: int = 0
    elapsed_s: float = 0.0
    meta: dict = field(default_factory=dict)

    def value(self, name: str) -> float:
        return float(self.values[self.names.index(name)])

    def error(self, name: str) -> float:
        return float(self.errors[self.names.index(name)])

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("values", "errors", "covariance", "hesse_errors"):
            d[k] = np.asarray(getattr(self, k)).tolist()
        d["normalisations"] = {
            n: {"value": float(v), "error": float(e)}
            for n, v, e in zip(self.names, self.values, self.errors, strict=True)
        }
        return d

    def to_json(self, path) -> None:
        """Write :meth:`as_dict` as JSON, atomically (nothing is left on failure)."""
        text = json.dumps(self.as_dict(), indent=2, allow_nan=True)
        with atomic_path(path) as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")


def _as_map(name, values, npix, nside) -> np.ndarray:
    a = np.asarray(values, float)
    if a.ndim != 1 or a.size != npix:
        got = int(round(math.sqrt(a.size / 12))) if a.size else 0
        what = f"nside {got}" if 12 * got * got == a.size else "not a HEALPix map"
        raise ValueError(
            f"templates[{name!r}]: {a.size} pixels ({what}); the data need nside {nside} "
            f"({npix} pixels; escapade.sky.regrid brings a map there)"
        )
    return a


def _in_region(name, values, reg) -> np.ndarray:
    """A template's values in the fitted pixels: finite, >= 0, not all zero."""
    if not np.all(np.isfinite(values)) or np.any(values < 0.0):
        raise ValueError(
            f"templates[{name!r}]: NaN, infinite or negative values in region {reg.name!r}; "
            "a template is an intensity map, finite and >= 0 there"
        )
    if not np.any(values > 0.0):
        raise ValueError(f"templates[{name!r}]: zero in every pixel of region {reg.name!r}")
    return values


def _check_options(systematic_fraction, isotropic_prior_width, regroup_nside, nside):
    f = float(systematic_fraction)
    if not (0.0 <= f < 10.0):
        raise ValueError(f"systematic_fraction={systematic_fraction!r}: give a number in [0, 10)")
    if isotropic_prior_width is not None:
        w = float(isotropic_prior_width)
        if not (w > 0.0 and math.isfinite(w)):
            raise ValueError(
                f"isotropic_prior_width={isotropic_prior_width!r}: give a number > 0 "
                "(fractional width of the prior on the isotropic normalisation) or None"
            )
    ok = isinstance(regroup_nside, (int, np.integer)) and not isinstance(regroup_nside, bool)
    if not ok or regroup_nside < 1 or regroup_nside > nside or regroup_nside & (regroup_nside - 1):
        raise ValueError(
            f"regroup_nside={regroup_nside!r}: give a power of two from 1 to the data's nside "
            f"{nside}"
        )
    return f


def _groups(nside, regroup_nside, pixels):
    """Index of the coarse (regroup_nside) parent of each RING pixel, compacted to 0..G-1."""
    shift = 2 * int(round(math.log2(nside // regroup_nside)))
    parent = ring_to_nested(pixels, nside) >> shift
    _, inverse = np.unique(parent, return_inverse=True)
    return inverse


class _Objective:
    """-2 ln L(a) and its gradient for design matrix A (k x n) and counts n."""

    def __init__(self, design, counts, f, prior):
        self.A, self.n, self.f = design, counts, f
        self.prior = prior  # (index, width) or None
        self.const = 2.0 * float(np.sum(gammaln(counts + 1.0))) if f == 0.0 else 0.0

    def _prior(self, a):
        if self.prior is None:
            return 0.0, np.zeros_like(a)
        i, w = self.prior
        g = np.zeros_like(a)
        g[i] = 2.0 * (a[i] - 1.0) / w**2
        return ((a[i] - 1.0) / w) ** 2, g

    def __call__(self, a):
        a = np.asarray(a, float)
        mu = a @ self.A
        if np.any(mu <= 0.0):
            return 1e300
        if self.f == 0.0:
            val = 2.0 * float(np.sum(mu - self.n * np.log(mu))) + self.const
        else:
            var = mu + (self.f * mu) ** 2
            val = float(np.sum((self.n - mu) ** 2 / var + np.log(2.0 * math.pi * var)))
        return val + self._prior(a)[0]

    def grad(self, a):
        a = np.asarray(a, float)
        mu = np.maximum(a @ self.A, 1e-300)
        if self.f == 0.0:
            dmu = 2.0 * (1.0 - self.n / mu)
        else:
            var = mu + (self.f * mu) ** 2
            dv = 1.0 + 2.0 * self.f**2 * mu
            r = self.n - mu
            dmu = -2.0 * r / var - (r / var) ** 2 * dv + dv / var
        return self.A @ dmu + self._prior(a)[1]

    def g2(self, a):
        return np.diag(self.hessian(a)).copy()

    def hessian(self, a):
        """Second derivatives of -2 ln L in the normalisations (external coordinates)."""
        a = np.asarray(a, float)
        mu = np.maximum(a @ self.A, 1e-300)
        if self.f == 0.0:
            d2 = 2.0 * self.n / mu**2
        else:
            v = mu + (self.f * mu) ** 2
            v1, v2 = 1.0 + 2.0 * self.f**2 * mu, 2.0 * self.f**2
            r = self.n - mu
            d2 = (
                2.0 / v
                + 4.0 * r * v1 / v**2
                - r**2 * v2 / v**2
                + 2.0 * r**2 * v1**2 / v**3
                + v2 / v
                - v1**2 / v**2
            )
        h = (self.A * d2) @ self.A.T
        if self.prior is not None:
            i, w = self.prior
            h[i, i] += 2.0 / w**2
        return h


def _covariance(obj, values):
    """The inverse of half the Hessian of -2 ln L at ``values`` (pinv if singular)."""
    h = 0.5 * obj.hessian(values)
    try:
        return np.linalg.inv(h), "analytic_hessian"
    except np.linalg.LinAlgError:
        return np.linalg.pinv(h), "analytic_hessian_pinv"


def _start(design, counts):
    """Starting normalisations: non-negative least squares on the counts, floored."""
    w = 1.0 / np.sqrt(np.maximum(counts, 1.0))
    x, _ = nnls((design * w).T, counts * w)
    floor = 1e-3 * counts.sum() / np.maximum(design.sum(axis=1), 1e-300)
    return np.maximum(x, floor)


def _data(counts, exposure, mask, band_gev):
    if counts is None or exposure is None:
        fm = load_fermi_maps()
        if not np.allclose([float(x) for x in band_gev], fm.band, rtol=1e-6):
            raise ValueError(
                f"band_gev={tuple(band_gev)!r}: the shipped Fermi-LAT maps cover "
                f"{fm.band[0]:g}-{fm.band[1]:g} GeV; give counts and exposure of that band"
            )
        counts = fm.counts if counts is None else counts
        exposure = fm.exposure if exposure is None else exposure
        mask = fm.pscmask if mask is None else mask
    counts, exposure = np.asarray(counts, float), np.asarray(exposure, float)
    if counts.shape != exposure.shape:
        raise ValueError(f"counts ({counts.size} pixels) and exposure ({exposure.size}) differ")
    return counts, exposure, mask


def _selection(region, nside, exposure, mask, mask_point_sources):
    keep = region_pixels(region, nside) & (exposure > 0)
    if mask_point_sources:
        if mask is None:
            mask = load_fermi_maps().pscmask
        m = np.asarray(mask).astype(bool)
        if m.size != keep.size:
            raise ValueError(f"mask: {m.size} pixels; the data have {keep.size}")
        keep &= ~m
    if not keep.any():
        raise ValueError(f"region={region!r}: no pixel with exposure left after the mask")
    return np.nonzero(keep)[0]


def _deviance(n, mu) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(n > 0, n * np.log(n / mu), 0.0)
    return float(2.0 * np.sum(mu - n + t))


def fit_templates(
    templates: Mapping[str, np.ndarray],
    region="absb5",
    mask_point_sources: bool = True,
    isotropic: bool = True,
    isotropic_prior_width: float | None = 0.3,
    systematic_fraction: float = 0.0,
    regroup_nside: int = 16,
    band_gev=(2.0, 20.0),
    counts=None,
    exposure=None,
    mask=None,
) -> TemplateFitResult:
    """Fit free non-negative normalisations of ``templates`` to a counts map.

    ``templates``: name -> intensity map (ph cm^-2 s^-1 sr^-1 in ``band_gev``, RING,
    Galactic) at the data's nside. ``counts``, ``exposure`` (cm^2 s), ``mask`` (True =
    excluded): the shipped Fermi-LAT 2-20 GeV maps unless given (e.g. a simulated map).
    See the module docstring for ``region``, ``isotropic``, ``isotropic_prior_width``,
    ``systematic_fraction`` and ``regroup_nside``. Returns a :class:`TemplateFitResult`.
    """
    t0 = time.perf_counter()
    counts, exposure, mask = _data(counts, exposure, mask, band_gev)
    npix = counts.size
    nside = int(round(math.sqrt(npix / 12)))
    reg = _region(region)
    f = _check_options(systematic_fraction, isotropic_prior_width, regroup_nside, nside)
    if not templates:
        raise ValueError("templates={}: give at least one template map")
    maps = {str(k): _as_map(k, v, npix, nside) for k, v in templates.items()}
    iso_value = None
    if isotropic:
        if ISOTROPIC in maps:
            raise ValueError(
                f"templates[{ISOTROPIC!r}] given with isotropic=True: rename it or pass "
                "isotropic=False"
            )
        iso_value = igrb_intensity(band_gev)
        maps[ISOTROPIC] = np.full(npix, iso_value)
    names = list(maps)
    sel = _selection(reg, nside, exposure, mask, mask_point_sources)
    omega = 4.0 * math.pi / npix
    design = np.vstack([exposure[sel] * omega * _in_region(k, maps[k][sel], reg) for k in names])
    n = counts[sel]
    fit_a, fit_n = design, n
    if f > 0.0:
        g = _groups(nside, regroup_nside, sel)
        ng = int(g.max()) + 1
        fit_a = np.vstack([np.bincount(g, weights=row, minlength=ng) for row in design])
        fit_n = np.bincount(g, weights=n, minlength=ng)
    prior = None
    if isotropic and isotropic_prior_width is not None:
        prior = (names.index(ISOTROPIC), float(isotropic_prior_width))
    obj = _Objective(fit_a, fit_n, f, prior)
    # g2 (the Hessian's diagonal) seeds MIGRAD; hessian=False because iminuit would pick
    # up obj.hessian by its name, and its use of a full external Hessian fails with
    # bounded parameters in some cases (TypeError inside MIGRAD, iminuit 2.33)
    m = Minuit(obj, _start(fit_a, fit_n), grad=obj.grad, g2=obj.g2, hessian=False, name=names)
    m.errordef = Minuit.LEAST_SQUARES
    m.tol = 1e-3  # EDM < 2e-6: the minimum to ~0.002 sigma along the flattest direction
    m.limits = [(0.0, None)] * len(names)
    m.migrad()
    m.hesse()
    values = np.array(m.values)
    cov, cov_kind = _covariance(obj, values)
    errors = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    at_limit = [k for k, v, e in zip(names, values, errors, strict=True) if v < 0.01 * e]
    mu = values @ design
    chi2_g = ndof_g = None
    if f > 0.0:
        mug = values @ fit_a
        chi2_g = float(np.sum((fit_n - mug) ** 2 / (mug + (f * mug) ** 2)))
        ndof_g = int(fit_n.size - len(names))
    return TemplateFitResult(
        names=names,
        values=values,
        errors=errors,
        covariance=cov,
        minus2lnl=float(m.fval),
        deviance=_deviance(n, mu),
        ndof=int(n.size - len(names)),
        n_pixels=int(n.size),
        n_counts=float(n.sum()),
        statistic="poisson" if f == 0.0 else "gaussian_regrouped",
        region=asdict(reg),
        band_gev=[float(x) for x in band_gev],
        mask_point_sources=bool(mask_point_sources),
        systematic_fraction=f,
        regroup_nside=int(regroup_nside) if f > 0.0 else None,
        isotropic_intensity=iso_value,
        isotropic_prior_width=None if prior is None else prior[1],
        chi2_groups=chi2_g,
        ndof_groups=ndof_g,
        valid=bool(m.valid and m.accurate),
        nfcn=int(m.nfcn),
        elapsed_s=time.perf_counter() - t0,
        at_limit=at_limit,
        hesse_errors=np.array(m.errors),
        meta={"nside": nside, "minimiser": "iminuit MIGRAD + HESSE", "covariance": cov_kind},
    )

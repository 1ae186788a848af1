"""Tables formed from two shipped ones: pbar/p from the AMS-02 pbar and proton fluxes."""

from __future__ import annotations

import math

import numpy as np

from .measurement import DataError, Measurement


def pbar_over_p(pb: Measurement, p: Measurement) -> Measurement:
    """pbar/p from the AMS-02 pbar and H tables of the same publication.

    Their rigidity bins coincide up to 80.5 GV (same representative values); above,
    the pbar bins are wider and their edges do not all fall on p-bin edges. There
    the p flux averaged over the pbar bin is taken as the log-log interpolation of
    the p table at the pbar representative rigidity: KISS computes every
    representative value as the point where a power law R^-2.7 equals its bin
    average (checked: 1.00-1.16 GV -> 1.076 GV, 1130-1800 GV -> 1417 GV), so for the
    p spectrum (index 2.7-2.9 there) this is the bin average to ~0.1 %. Relative
    errors of p are interpolated the same way (conservative for merged bins).
    Relative errors of the two fluxes are added in quadrature.

    ``pb`` and ``p`` are the AMS-02 pbar and H tables vs rigidity.
    """
    lxp = np.log(p.x)
    fp = np.empty(len(pb))
    rel = {k: np.empty(len(pb)) for k in ("stat_lo", "stat_hi", "syst_lo", "syst_hi")}
    same = []
    for k, xk in enumerate(pb.x):
        hit = np.flatnonzero(np.abs(p.x / xk - 1.0) < 1e-3)
        if hit.size:
            i = int(hit[0])
            fp[k] = p.y[i]
            for name in rel:
                rel[name][k] = getattr(p, name)[i] / p.y[i]
            same.append(k)
            continue
        if not p.x[0] <= xk <= p.x[-1]:
            raise DataError(f"pbar/p:AMS-02: pbar bin at {xk:g} GV outside the p table")
        fp[k] = math.exp(np.interp(math.log(xk), lxp, np.log(p.y)))
        for name in rel:
            rel[name][k] = np.interp(math.log(xk), lxp, getattr(p, name) / p.y)
    r = pb.y / fp
    stat_lo = r * np.hypot(pb.stat_lo / pb.y, rel["stat_lo"])
    stat_hi = r * np.hypot(pb.stat_hi / pb.y, rel["stat_hi"])
    syst_lo = r * np.hypot(pb.syst_lo / pb.y, rel["syst_lo"])
    syst_hi = r * np.hypot(pb.syst_hi / pb.y, rel["syst_hi"])
    wider = [k for k in range(len(pb)) if k not in same]
    citation = (
        "pbar/p formed by escapade from the AMS-02 pbar and H (proton) flux tables "
        f"(Aguilar et al. 2021 PhR 894 1): [{pb.citation}] / [{p.citation}]. "
        f"{len(same)} bins identical in both tables; for the {len(wider)} wider pbar bins "
        "above 80.5 GV the p flux is the power-law (log-log) interpolation of the p table "
        "at the pbar bin's representative rigidity (= its R^-2.7 bin-average point); "
        "relative errors added in quadrature."
    )
    nan = np.full(len(pb), np.nan)
    return Measurement(
        "pbar/p",
        "AMS-02",
        pb.x.copy(),
        "rigidity",
        r,
        stat_lo,
        stat_hi,
        syst_lo,
        syst_hi,
        "1",
        citation,
        f"{pb.source} + {p.source}",
        nan,
        nan.copy(),
        {"format": "derived", "identical_bins": same, "interpolated_bins": wider},
    )

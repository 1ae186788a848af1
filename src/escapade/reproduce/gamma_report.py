"""The gamma-ray part of a reproduction's summary: tau preferred by each gas model.

For every gas model and point-source setting of the per-tau records
(:mod:`escapade.reproduce.gamma`) the profile likelihood in tau, -2 ln L(tau) with the
template normalisations and the systematic fraction refitted at each tau, gives the best tau
of the grid and its 68 % interval, where -2 ln L is within 1 of its minimum (Wilks' theorem
for one parameter; the crossings are interpolated linearly between grid points, and an end
of the grid inside the interval is reported as that end).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .gamma import TEMPLATE_NAMES

__all__ = ["gamma_sensitivity", "likelihood_interval", "sensitivity_table"]


def likelihood_interval(taus, m2) -> tuple[float, float, float]:
    """(best tau, lower, upper) of the 68 % interval of -2 ln L(tau) on a grid."""
    t = np.asarray(taus, float)
    y = np.asarray(m2, float)
    order = np.argsort(t)
    t, y = t[order], y[order]
    k = int(np.argmin(y))
    level = y[k] + 1.0

    def crossing(indices) -> float:
        prev = k
        for i in indices:
            if y[i] > level:
                return float(t[prev] + (level - y[prev]) * (t[i] - t[prev]) / (y[i] - y[prev]))
            prev = i
        return float(t[prev])

    return float(t[k]), crossing(range(k - 1, -1, -1)), crossing(range(k + 1, t.size))


def _ok_points(scan_ds: xr.Dataset) -> xr.Dataset:
    ok = [str(s) == "ok" for s in scan_ds.status.values]
    return scan_ds.isel({"diffusion.tau": np.nonzero(ok)[0]})


def _row(pts: xr.Dataset, gas: str, ps: str) -> dict:
    taus = pts["diffusion.tau"].values
    at = pts.sel(gas_model=gas, point_sources=ps)
    m2 = at.gas_minus2lnl.values
    best, lo, hi = likelihood_interval(taus, m2)
    b = at.sel({"diffusion.tau": best})
    chi2 = pts.gas_chi2_profile.sel(gas_model=gas).values
    out = {
        "gas_model": gas,
        "point_sources": ps,
        "best_tau": best,
        "interval_68": [lo, hi],
        "minus2lnl": {f"{t:g}": float(v) for t, v in zip(taus, m2, strict=True)},
        "delta_minus2lnl_tau0": float(m2[np.argmin(np.abs(taus))] - m2.min()),
        "systematic_fraction": float(b.gas_systematic_fraction),
        "normalisations": {
            n: [float(b.gas_norm.sel(template=n)), float(b.gas_norm_error.sel(template=n))]
            for n in TEMPLATE_NAMES
            if np.isfinite(float(b.gas_norm.sel(template=n)))
        },
        "chi2_profile": {f"{t:g}": float(v) for t, v in zip(taus, chi2, strict=True)},
        "best_tau_profile": float(taus[int(np.argmin(chi2))]),
        "min_chi2_profile": float(chi2.min()),
    }
    if "gas_chi2_profile_components" in pts:
        per = pts.gas_chi2_profile_components.sel(gas_model=gas).values
        out["min_chi2_profile_components"] = float(per.min())
        out["best_tau_profile_components"] = float(taus[int(np.argmin(per))])
    return out


def gamma_sensitivity(scan_ds: xr.Dataset) -> list[dict]:
    """One row per gas model and point-source setting (empty without gas records)."""
    if "gas_minus2lnl" not in scan_ds:
        return []
    pts = _ok_points(scan_ds)
    if pts.sizes["diffusion.tau"] == 0:
        return []
    return [
        _row(pts, str(g), str(ps)) for g in pts.gas_model.values for ps in pts.point_sources.values
    ]


def sensitivity_table(rows: list[dict]) -> list[str]:
    """The markdown table of :func:`gamma_sensitivity` (report and README)."""
    lines = [
        "| gas model | 4FGL template | best tau (-2 ln L) | 68 % interval | Delta(-2 ln L) at "
        "tau = 0 | f | HI | H2 | IC | isotropic (x IGRB) | min profile chi2 (tau) | "
        "per component (tau) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        n = r["normalisations"]

        def norm(name, n=n):
            return f"{n[name][0]:.2f} +- {n[name][1]:.2f}" if name in n else "-"

        lines.append(
            f"| {r['gas_model']} | {r['point_sources']} | {r['best_tau']:g} | "
            f"{r['interval_68'][0]:.2f}-{r['interval_68'][1]:.2f} | "
            f"{r['delta_minus2lnl_tau0']:.1f} | {r['systematic_fraction']:.3f} | {norm('HI')} | "
            f"{norm('H2')} | {norm('IC')} | {norm('isotropic')} | "
            f"{r['min_chi2_profile']:.0f} ({r['best_tau_profile']:g}) | {_per_component(r)} |"
        )
    return lines


def _per_component(row: dict) -> str:
    if "min_chi2_profile_components" not in row:
        return "-"
    return f"{row['min_chi2_profile_components']:.0f} ({row['best_tau_profile_components']:g})"

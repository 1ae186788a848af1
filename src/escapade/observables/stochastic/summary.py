"""Statistics of the ensemble of realisations (docs/anisotropy.md): the dipole of chosen
species alone, the probability of a small dipole, and the size of a bump in a spectrum.

The bump statistic. For a spectrum F(E) let P be the power law through F at two anchor
energies E_lo < E_hi (the chord of ln F against ln E). The bump is the largest excess of
ln F over that chord inside a window [E_1, E_2]:

    B = max_{E_1 <= E <= E_2} [ln F(E) - ln P(E)],
    ln P(E) = ln F(E_lo) + [ln F(E_hi) - ln F(E_lo)] ln(E / E_lo) / ln(E_hi / E_lo).   (1)

B does not depend on the normalisation or on a power-law slope (B = 0 for every power law);
it is positive where ln F is concave in ln E (a bump, or a softening after a flat stretch).
Where the window reaches an anchor (the defaults: both end at 100 TeV) the excess there is 0,
so B >= 0 and a spectrum without a bump (a hardening, say) gives 0. A sharp break of the
index from g to g + dg at E_b, with E_lo < E_b < E_hi and E_b inside the window, gives

    B = dg ln(E_b / E_lo) ln(E_hi / E_b) / ln(E_hi / E_lo).                          (2)

The defaults (:data:`BUMP_ANCHORS_GEV` 1 and 100 TeV, :data:`BUMP_WINDOW_GEV` 10-100 TeV)
measure the bump of the proton spectrum between 10 and 100 TeV that DAMPE reports (a
softening at ~14 TeV after the hardening at ~0.5 TeV). F is read at the anchors and at the
window's edges by linear interpolation of ln F in ln E between the samples; inside the
window at the samples.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .ensemble import Setup
from .result import combine

BUMP_ANCHORS_GEV = (1.0e3, 1.0e5)
"""E_lo and E_hi of the chord of eq. (1) [GeV]."""
BUMP_WINDOW_GEV = (1.0e4, 1.0e5)
"""The window [E_1, E_2] of eq. (1) where the bump's maximum is looked for [GeV]."""


def interp_loglog(e_new, e, values) -> np.ndarray:
    """``values`` (..., n) at the energies ``e`` (n, increasing), read at ``e_new`` (m,) with
    ln(values) linear in ln(e); NaN outside [e[0], e[-1]] and where a value is not positive."""
    x, xn = np.log(np.asarray(e, dtype=float)), np.log(np.atleast_1d(e_new).astype(float))
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln = np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), np.nan)
    k = np.clip(np.searchsorted(x, xn), 1, x.size - 1)
    w = (xn - x[k - 1]) / (x[k] - x[k - 1])
    out = np.exp(ln[..., k - 1] * (1.0 - w) + ln[..., k] * w)
    outside = (xn < x[0]) | (xn > x[-1])
    out[..., outside] = np.nan
    return out


def bump_excess(
    energy, flux, anchors=BUMP_ANCHORS_GEV, window=BUMP_WINDOW_GEV
) -> np.ndarray | float:
    """B of eq. (1) for spectra ``flux`` (..., n) sampled at ``energy`` (n, increasing).

    NaN where an anchor lies outside the sampled energies or the flux is not positive there.
    """
    e = np.asarray(energy, dtype=float)
    f = np.asarray(flux, dtype=float)
    (e_lo, e_hi), (e1, e2) = anchors, window
    if not (e_lo < e_hi and e1 < e2):
        raise ValueError(f"bump_excess: anchors {anchors} and window {window} must increase")
    inside = (e > e1) & (e < e2)
    e_eval = np.concatenate([[e1], e[inside], [e2]])
    at = interp_loglog(np.array([e_lo, e_hi]), e, f)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_eval = np.log(
            np.concatenate(
                [interp_loglog([e1], e, f), f[..., inside], interp_loglog([e2], e, f)], axis=-1
            )
        )
        slope = (np.log(at[..., 1]) - np.log(at[..., 0])) / np.log(e_hi / e_lo)
        chord = np.log(at[..., 0])[..., None] + slope[..., None] * np.log(e_eval / e_lo)
    excess = ln_eval - chord
    out = np.max(excess, axis=-1)
    out = np.where(np.all(np.isfinite(excess), axis=-1), out, np.nan)
    return float(out) if np.ndim(out) == 0 else out


def probability_below(amplitude, threshold: float) -> np.ndarray:
    """The fraction of realisations (axis 0) with ``amplitude`` below ``threshold``."""
    return np.mean(np.asarray(amplitude) < threshold, axis=0)


def species_setup(setup: Setup, names) -> Setup:
    """The :class:`~.ensemble.Setup` of the named species alone (same sources, same seed)."""
    loc = setup.local
    idx = [loc.species.index(str(n)) for n in names]
    arrays = ("mass_number", "rigidity_gv", "d_kpc2_myr", "density", "gradient_r")
    sub = replace(
        loc,
        species=tuple(loc.species[i] for i in idx),
        injected=loc.injected[idx],
        flux=loc.flux[idx],
        dipole=None if loc.dipole is None else loc.dipole[idx],
        **{a: getattr(loc, a)[idx] for a in arrays},
    )
    return replace(setup, local=sub, n_images=setup.n_images[idx])


def species_dipole(setup: Setup, dens, grad, names) -> np.ndarray:
    """Dipole amplitude (realisation, energy) of the named species alone (ensemble eq. 2
    summed over them only) from the discrete density (realisation, species, energy) and
    gradient (realisation, species, energy, 3) of :func:`~.result.run_realisations`."""
    idx = [setup.local.species.index(str(n)) for n in names]
    _, _, vec, _ = combine(species_setup(setup, names), dens[:, idx], grad[:, idx])
    return np.linalg.norm(vec, axis=-1)

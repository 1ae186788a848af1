"""pi0-decay gamma-ray production by cosmic-ray p and He on interstellar H and He.

Physics
-------
The emissivity per hydrogen atom (the quantity Fermi-LAT quotes, e.g. Casandjian
2015, ApJ 806, 240) is

    q(E_g) = 1/(4 pi) sum_k int dT  beta_k(T) c N_k(T) [ dsigma_{k,H}/dE_g(T, E_g)
                                                  + (n_He/n_H) dsigma_{k,He}/dE_g(T, E_g) ]

in photons s^-1 sr^-1 GeV^-1 per H atom, where N_k(T) is the CR density of species k
per unit kinetic energy per nucleon T (1/(cm^3 GeV/n), the solution's ``density``)
and dsigma/dE_g is the inclusive photon production cross section per collision of
one projectile *nucleus* with one target *atom*. (PHYSICS.md section 6 writes the
4 pi-integrated rate, 4 pi J = beta c N; this module divides by 4 pi, i.e. returns
the per-steradian emissivity as Fermi-LAT does. The He targets enter through
``he_to_h`` = n_He/n_H, so ``q`` is "per H atom, He included".)

Cross sections (model ``"aafrag"``, the default)
------------------------------------------------
* AAfrag 2.02 interpolation tables (QGSJET-II-04m), Kachelriess, Ostapchenko &
  Tjemsland 2023, CPC 287, 108698 (arXiv:2206.00998) and Kachelriess, Moskalenko &
  Ostapchenko 2019, CPC 245, 106846 (arXiv:1904.05129), for p-p, p-He, He-p and
  He-He (the shipped ``gamma_production_AAfrag202_gam_*`` files, copied verbatim from
  carmeloevoli/XS4GCRv2). Conventions, established here and checked numerically
  (see ``docs``/tests):

  - first column: the **total energy of the projectile nucleus in the lab frame**,
    E_p = A T + m_A (not per nucleon): the AAfrag 2 README says "total energy of
    primary particle in the lab frame", and the He-p rows confirm it - at E_p = 5 GeV
    the photon spectrum ends at 0.15 GeV, which is the kinematic end point for
    T = 0.32 GeV/n (total energy per nucleus) and not for 5 GeV/n or 1.25 GeV/n;
  - table entries are **E_g dsigma/dE_g in mb** (the reference routines
    ``spec_gam`` of AAfrag202.f90/.py return E_s * entry and call that
    E^2 dsigma/dE; aafragpy divides the entry by E to get dsigma/dE). The file
    headers' "E^2 dsigma/dE [mb GeV]" is the *routine output*, not the entry: read
    as E^2 dsigma/dE the p-p photon energy at E_p = 4e11 GeV would be 1e-7 of E_p;
    read as E dsigma/dE it is 25 % and the photon multiplicity x sigma_inel at
    10 GeV is 60 mb (2 photons), as expected;
  - the entry in value column j belongs to the secondary energy of header column
    j + 1 (both reference routines shift by one 0.01-dex bin); with the shift the
    dsigma/dE spectra are log-symmetric about m_pi0/2 = 67.5 MeV, as pi0 decay
    requires (67.3-67.5 MeV found; 65.9 MeV without the shift);
  - interpolation as the reference routine: bilinear in (log E_p, log E_g) of the
    log of the entries, zero when a corner is zero. The main tables are used for
    E_p >= 10 GeV, the low-energy ('L') tables for E_p between the switch energy
    and 10 GeV.
* Below the switch energy (p projectiles: E_p < 4 GeV, T < 3.06 GeV, the AAfrag
  range limit; He projectiles: E_p < 8 GeV, T < 1.07 GeV/n, because the AAfrag
  He-p and He-He 'L' rows below that keep a flat photon yield per collision of
  about 70 and 210 mb x photons down to T = 0.32 GeV/n, 4-10 times the scaled
  Kamae yield at 0.5-0.6 GeV/n, which itself falls to zero at the pion threshold)
  the **Kamae et al. 2006** (ApJ 647, 692;
  erratum ApJ 662, 779) p-p parametrisation is used, as tabulated from cparamlib
  (``gamma_production_grcrfit_gammads.csv``, jessicametzger/grcrfit; entries
  E_g dsigma/dE_g in mb, rows kinetic energy T from 0.488 GeV to 512 TeV, E_g
  from 10 MeV to 100 GeV), multiplied for each channel by one constant factor
  that makes the photon-energy-weighted cross section continuous at the switch
  energy (:func:`low_energy_factors`: 0.82 for p-p, 3.9 for p-He, 5.1 for He-p and
  15.7 for He-He, close to the 1, 4, 4 and 15 of grcrfit's hybrid tables; the spectral
  shapes still differ by up to ~20 % at the junction, e.g. at E_g = 0.1 GeV).
  Below T = 0.488 GeV/n (Kamae's lowest row; pion threshold 0.28 GeV) and
  below E_g = 10 MeV nothing is produced in this model (a linear ramp of the
  lowest row down to the threshold would add about 2 % of the photons above 50 MeV
  and 1.5 % above 100 MeV for escapade's default local spectrum).
* Model ``"kamae2006"`` uses the Kamae p-p table (times the same constant factors
  for the He channels) at all energies, for comparisons of the model uncertainty
  (Kamae is 10-20 % above AAfrag for E_g = 1-10 GeV with a local spectrum).
* Energy conservation is enforced: dsigma/dE_g = 0 for E_g above the projectile's
  kinetic energy A T (Kamae's parametrisation leaks a 1e-5 tail beyond it).

Projectiles: ``1H`` and ``4He`` with their own tables; ``2H`` as two free nucleons
(p-p tables at the same T/n, x 2) and ``3He`` as 3/4 of 4He at the same T/n (a
superposition approximation). CR nuclei with Z > 2 (``heavy_nuclei``, default on) follow
the same superposition: A/4 times the 4He tables at the same T/n. ISM nuclei heavier than He
(``ism_metals``, default on) are added on the target side in the same way, as
:data:`ISM_METALS_HE_EQUIVALENT` = (Z/X)/4 extra He targets per H atom, with the present-day
solar mass fractions X = 0.7381, Z = 0.0134 of Asplund et al. 2009 (ARA&A 47, 481; as
tabulated in Magg et al. 2022, A&A 661, A140, Table 4); superposition per target nucleon is an
upper estimate (the yield per nucleon falls with A) of a ~1 % term. With both, the nuclear
enhancement factor (all CR species on all ISM nuclei over p-p alone) of AMS-02 spectra is
1.83 at E_g = 1-10 GeV (1.69 from p and He alone), inside the 1.52-1.92 range of Dermer 2015
(arXiv:1505.05757) and at the low end of the 1.8-2.0 of Mori 2009 (Astropart. Phys. 31, 341,
DPMJET-3, 6-1000 GeV/n); tests/emission/test_pion_nuclear_enhancement.py.
Antiprotons are left out; their names are listed in the ``species_omitted`` attribute.

Production matrices
-------------------
:class:`PionProduction` builds, once for a CR energy grid and a gamma-ray energy
grid, matrices M_s (n_gamma x n_ekin) such that q = sum_s M_s @ N_s is a single
product over the whole (R, z) grid. The T integral is done on an internal fine grid
(``points_per_decade``, default 40) onto which N is interpolated linearly in log T
after weighting by T^2.7 (exact for a T^-2.7 spectrum); the CR grid's ends bound the
integral (nothing is extrapolated).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import xarray as xr

from ..constants import C_CM_S, FOUR_PI, M_PROTON_GEV, MB_CM2
from ..numerics.quadrature import log_gauss_band, log_trapezoid, power_law_interp_matrix
from ..solution import as_solution, solution_config
from ..species import nuclide

__all__ = [
    "ISM_METALS_HE_EQUIVALENT",
    "MODELS",
    "PionProduction",
    "dsigma_degamma_mb_per_gev",
    "emissivity",
    "emissivity_band",
    "emissivity_per_h_atom",
    "emissivity_vs_r",
    "he_to_h_of",
    "low_energy_factors",
]

MODELS = ("aafrag", "kamae2006")
"""Cross-section models accepted by :class:`PionProduction`."""

E_SPLIT_MAIN_GEV = 10.0
"""AAfrag switches from the 'L' tables to the main tables at E_p = 10 GeV."""

E_SWITCH_GEV = {
    ("p", "H"): 4.0,
    ("p", "He"): 4.0,
    ("He", "H"): 8.0,
    ("He", "He"): 8.0,
}
"""Total projectile energy (GeV) below which Kamae 2006 (scaled) replaces AAfrag."""

_AAFRAG_FILES = {
    ("p", "H"): "gamma_production_AAfrag202_gam_p_p_04",
    ("p", "He"): "gamma_production_AAfrag202_gam_p_He04",
    ("He", "H"): "gamma_production_AAfrag202_gam_He_p04",
    ("He", "He"): "gamma_production_AAfrag202_gam_HeHe04",
}
_KAMAE_FILE = "gamma_production_grcrfit_gammads.csv"

M_HE4_GEV = 4.0 * 0.93149410242
"""4He rest energy used for E_p = 4 T + m (escapade's A u convention)."""

_PROJECTILE_MASS = {"p": M_PROTON_GEV, "He": M_HE4_GEV}
_PROJECTILE_A = {"p": 1, "He": 4}

# species name -> (table projectile, multiplicity at equal T/n)
_PROJECTILES = {"1H": ("p", 1.0), "2H": ("p", 2.0), "3He": ("He", 0.75), "4He": ("He", 1.0)}

ISM_METALS_HE_EQUIVALENT = (0.0134 / 0.7381) / 4.0
"""ISM nuclei heavier than He per H atom, counted as 4He targets by nucleon number: (Z/X)/4
with Asplund et al. 2009's present-day solar X = 0.7381, Z = 0.0134 (see the module docstring)."""

UNITS_DIFFERENTIAL = "ph s^-1 sr^-1 GeV^-1 (H atom)^-1"
UNITS_BAND = "ph s^-1 sr^-1 (H atom)^-1"


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class ProductionTable:
    """One tabulated inclusive photon production cross section.

    ``e_primary_gev``: total projectile energy (AAfrag) or kinetic energy per
    nucleon (Kamae), ascending; ``e_gamma_gev``: photon energies, ascending;
    ``e_dsigma_mb``: E_g dsigma/dE_g in mb, shape (n_primary, n_gamma).
    """

    e_primary_gev: np.ndarray
    e_gamma_gev: np.ndarray
    e_dsigma_mb: np.ndarray


def _read_rows(name: str, delimiter: str | None = None) -> np.ndarray:
    with resources.files("escapade.data.xsec").joinpath(name).open("r", encoding="utf-8") as f:
        lines = [ln for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    if delimiter:
        lines = [ln.replace(delimiter, " ") for ln in lines]
    ncol = len(lines[0].split())
    data = np.array(" ".join(lines).split(), dtype=float)
    return data.reshape(len(lines), ncol)


@cache
def aafrag_table(projectile: str, target: str, low: bool = False) -> ProductionTable:
    """The AAfrag 2.02 photon table for ``projectile`` on ``target`` (see module doc)."""
    d = _read_rows(_AAFRAG_FILES[(projectile, target)] + ("L" if low else "") + ".txt")
    if np.count_nonzero(d[:, 0] == 0.0) != 1:
        raise ValueError("AAfrag photon tables hold a single particle block")
    header = d[0, 1:]
    step = np.log10(header[-1] / header[0]) / (header.size - 1)
    # value column j belongs to header column j + 1 (reference routines shift by one bin)
    e_gamma = header * 10.0**step
    return ProductionTable(d[1:, 0].copy(), e_gamma, d[1:, 1:].copy())


@cache
def kamae_table() -> ProductionTable:
    """Kamae et al. 2006 p-p table (cparamlib via grcrfit), GeV units, ascending."""
    d = _read_rows(_KAMAE_FILE, delimiter=",")
    tp = d[1:, 0] / 1e3
    order = np.argsort(tp)
    return ProductionTable(tp[order], d[0, 1:] / 1e3, d[1:, 1:][order])


def _bracket(grid: np.ndarray, x: np.ndarray):
    """Indices i and weights w for linear interpolation in log; ``ok`` inside the grid."""
    lg = np.log(grid)
    lx = np.log(np.clip(x, 1e-300, None))
    i = np.searchsorted(lg, lx, side="right") - 1
    ok = (lx >= lg[0] - 1e-9) & (lx <= lg[-1] + 1e-9)
    i = np.clip(i, 0, grid.size - 2)
    w = np.clip((lx - lg[i]) / (lg[i + 1] - lg[i]), 0.0, 1.0)
    return i, w, ok


def interp_table(table: ProductionTable, e_primary, e_gamma) -> np.ndarray:
    """E_g dsigma/dE_g (mb) at (e_primary x e_gamma), bilinear in logs of the logs.

    Zero outside the table and wherever one of the four corners is zero (the
    AAfrag reference routine's rule, which keeps kinematic end points sharp).
    """
    ep = np.atleast_1d(np.asarray(e_primary, float))
    eg = np.atleast_1d(np.asarray(e_gamma, float))
    i, wx, okx = _bracket(table.e_primary_gev, ep)
    j, wy, oky = _bracket(table.e_gamma_gev, eg)
    v = table.e_dsigma_mb
    c00 = v[i[:, None], j[None, :]]
    c01 = v[i[:, None], j[None, :] + 1]
    c10 = v[i[:, None] + 1, j[None, :]]
    c11 = v[i[:, None] + 1, j[None, :] + 1]
    good = (c00 > 0) & (c01 > 0) & (c10 > 0) & (c11 > 0) & okx[:, None] & oky[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        l00, l01, l10, l11 = (np.log(np.where(good, c, 1.0)) for c in (c00, c01, c10, c11))
    wx_ = wx[:, None]
    wy_ = wy[None, :]
    lv = (1 - wx_) * ((1 - wy_) * l00 + wy_ * l01) + wx_ * ((1 - wy_) * l10 + wy_ * l11)
    return np.where(good, np.exp(lv), 0.0)


def _energy_weighted(table_row_e: np.ndarray, e_dsigma: np.ndarray, emin: float) -> float:
    """int_{E > emin} E dsigma/dE dE = int E (E dsigma/dE) d ln E (mb GeV)."""
    m = table_row_e >= emin
    return float(np.trapezoid(e_dsigma[m] * table_row_e[m], np.log(table_row_e[m])))


@cache
def low_energy_factors() -> dict[tuple[str, str], float]:
    """Constant factors f_ch that scale Kamae's p-p table for each channel.

    f = (int E_g dsigma/dE_g dE_g, AAfrag at the switch energy) / (same for Kamae p-p
    at the same kinetic energy per nucleon), photon energies above 10 MeV.
    """
    kam = kamae_table()
    eg = kam.e_gamma_gev
    out = {}
    for ch, e_sw in E_SWITCH_GEV.items():
        proj = ch[0]
        t_n = (e_sw - _PROJECTILE_MASS[proj]) / _PROJECTILE_A[proj]
        tab = aafrag_table(*ch, low=True)
        a = interp_table(tab, [e_sw], eg)[0]
        k = interp_table(kam, [t_n], eg)[0]
        out[ch] = _energy_weighted(eg, a, eg[0]) / _energy_weighted(eg, k, eg[0])
    return out


def dsigma_degamma_mb_per_gev(
    projectile: str, target: str, ekin_gev_per_n, egamma_gev, model: str = "aafrag"
) -> np.ndarray:
    """Inclusive photon production dsigma/dE_g (mb/GeV) per projectile-target collision.

    Parameters
    ----------
    projectile : ``"p"`` or ``"He"`` (4He).
    target : ``"H"`` or ``"He"``.
    ekin_gev_per_n : projectile kinetic energies per nucleon (GeV/n), 1-D.
    egamma_gev : photon energies (GeV), 1-D.
    model : ``"aafrag"`` or ``"kamae2006"`` (see the module docstring).

    Returns an array of shape (len(ekin), len(egamma)); zero where E_g exceeds the
    projectile's kinetic energy A T.
    """
    if model not in MODELS:
        raise ValueError(f"unknown pi0 cross-section model {model!r}; choose one of {MODELS}")
    ch = (projectile, target)
    if ch not in _AAFRAG_FILES:
        raise ValueError(f"no photon production channel {projectile}-{target}")
    t = np.atleast_1d(np.asarray(ekin_gev_per_n, float))
    eg = np.atleast_1d(np.asarray(egamma_gev, float))
    a = _PROJECTILE_A[projectile]
    e_p = a * t + _PROJECTILE_MASS[projectile]
    f_low = low_energy_factors()[ch]
    out = np.zeros((t.size, eg.size))
    if model == "kamae2006":
        out = (1.0 if ch == ("p", "H") else f_low) * interp_table(kamae_table(), t, eg)
    else:
        low = e_p < E_SWITCH_GEV[ch]
        mid = (~low) & (e_p < E_SPLIT_MAIN_GEV)
        high = e_p >= E_SPLIT_MAIN_GEV
        if low.any():
            out[low] = f_low * interp_table(kamae_table(), t[low], eg)
        if mid.any():
            out[mid] = interp_table(aafrag_table(*ch, low=True), e_p[mid], eg)
        if high.any():
            out[high] = interp_table(aafrag_table(*ch, low=False), e_p[high], eg)
    out = out / eg[None, :]
    out[eg[None, :] > (a * t)[:, None]] = 0.0
    return out


# --------------------------------------------------------------------------- helpers


def he_to_h_of(ds) -> float:
    """n_He/n_H from a solution's ``[gas] he_to_h`` (the schema's default without a config)."""
    return float(solution_config(ds).gas.he_to_h)


def _density_of(ds_or_density) -> xr.DataArray:
    """The full density of a solution, or the DataArray it is given."""
    if isinstance(ds_or_density, xr.DataArray):
        return ds_or_density
    sol = as_solution(ds_or_density)
    sol.require(
        "density", "a pi0 emissivity on (R, z) (for the mid-plane pass ds['density_midplane'])"
    )
    return sol.dataset["density"]


def _projectile_of(name: str, heavy: bool = True):
    """(table projectile, multiplicity at equal T/n) of a CR species, or None if left out."""
    name = str(name)
    if name in _PROJECTILES or not heavy or name in ("e-", "e+", "pbar"):
        return _PROJECTILES.get(name)
    nu = nuclide(name)
    return ("He", nu.a / 4.0) if nu.z > 2 else None  # superposition on the 4He tables


# --------------------------------------------------------------------------- matrices


class PionProduction:
    """pi0-decay production matrices and emissivities (see the module docstring).

    Parameters
    ----------
    model : ``"aafrag"`` (AAfrag 2.02 + Kamae 2006 below its range) or ``"kamae2006"``.
    heavy_nuclei : CR nuclei with Z > 2 as A/4 x 4He (superposition); ``False`` leaves them out.
    ism_metals : ISM nuclei heavier than He as :data:`ISM_METALS_HE_EQUIVALENT` He targets.
    points_per_decade : fine kinetic-energy grid for the T integral.
    weight_index : the T^-index weight used to interpolate N between CR grid points.
    """

    def __init__(
        self,
        model: str = "aafrag",
        *,
        points_per_decade: int = 40,
        weight_index: float = 2.7,
        heavy_nuclei: bool = True,
        ism_metals: bool = True,
    ):
        if model not in MODELS:
            raise ValueError(f"unknown pi0 cross-section model {model!r}; choose one of {MODELS}")
        self.model = model
        self.points_per_decade = int(points_per_decade)
        self.weight_index = float(weight_index)
        self.heavy_nuclei = bool(heavy_nuclei)
        self.he_equivalent_metals = ISM_METALS_HE_EQUIVALENT if ism_metals else 0.0
        self._cache: OrderedDict = OrderedDict()

    def __repr__(self) -> str:
        return (
            f"PionProduction(model={self.model!r}, heavy_nuclei={self.heavy_nuclei}, "
            f"ism_metals={self.he_equivalent_metals > 0})"
        )

    # -- building blocks
    def _fine_grid(self, ekin: np.ndarray):
        lo = max(float(ekin[0]), 0.25)
        hi = float(ekin[-1])
        if hi <= lo:
            return None
        return log_trapezoid(lo, hi, self.points_per_decade)

    def _interp_matrix(self, ekin: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """H (n_fine x n_ekin): N(tf) = H @ N_grid, T^-p weighted linear in log T."""
        return power_law_interp_matrix(ekin, tf, self.weight_index)

    def species_matrix(self, species: str, target: str, ekin_gev_per_n, egamma_gev) -> np.ndarray:
        """M (n_gamma x n_ekin) for one CR species on one target (``"H"`` or ``"He"``).

        q_target(E_g) [ph s^-1 sr^-1 GeV^-1 per target atom] = M @ N_species, with
        N in 1/(cm^3 GeV/n). Zero for species that are left out.
        """
        ekin = np.asarray(ekin_gev_per_n, float)
        eg = np.asarray(egamma_gev, float)
        key = (species, target, ekin.tobytes(), eg.tobytes())
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        proj = _projectile_of(species, self.heavy_nuclei)
        m = np.zeros((eg.size, ekin.size))
        fine = self._fine_grid(ekin) if proj is not None else None
        if fine is not None:
            tf, wq = fine
            table_proj, mult = proj
            sig = dsigma_degamma_mb_per_gev(table_proj, target, tf, eg, self.model)
            beta = nuclide(species).beta(tf)
            k = (mult * MB_CM2 * C_CM_S / FOUR_PI) * beta * wq  # (n_fine,)
            m = (sig * k[:, None]).T @ self._interp_matrix(ekin, tf)
        self._cache[key] = m
        while len(self._cache) > 64:
            self._cache.popitem(last=False)
        return m

    def production_matrices(
        self, species, ekin_gev_per_n, egamma_gev, he_to_h: float = 0.1
    ) -> np.ndarray:
        """Per-H-atom matrices, shape (n_species, n_gamma, n_ekin): M_H + w_He M_He with
        w_He = he_to_h (+ the ISM metals as He-equivalent targets when ``ism_metals``)."""
        w_he = he_to_h + self.he_equivalent_metals
        return np.stack(
            [
                self.species_matrix(s, "H", ekin_gev_per_n, egamma_gev)
                + w_he * self.species_matrix(s, "He", ekin_gev_per_n, egamma_gev)
                for s in species
            ]
        )

    # -- emissivities
    def _apply(self, density: xr.DataArray, mats: np.ndarray, new_dim, new_coord):
        dens = density.transpose("species", "ekin_gev_per_n", ...)
        rest_dims = dens.dims[2:]
        n = dens.values.reshape(dens.shape[0], dens.shape[1], -1)
        out = np.zeros((mats.shape[1], n.shape[2]))
        for s in range(mats.shape[0]):
            if np.any(mats[s]):
                out += mats[s] @ n[s]
        out = out.reshape((mats.shape[1],) + dens.shape[2:])
        coords = {d: dens.coords[d] for d in rest_dims if d in dens.coords}
        if new_dim is None:
            return xr.DataArray(out[0], dims=rest_dims, coords=coords)
        coords[new_dim] = new_coord
        return xr.DataArray(out, dims=(new_dim,) + rest_dims, coords=coords)

    def _species_attrs(self, density, he_to_h):
        names = [str(s) for s in density["species"].values if str(s) not in ("e-", "e+")]
        used = [s for s in names if _projectile_of(s, self.heavy_nuclei) is not None]
        omitted = [s for s in names if _projectile_of(s, self.heavy_nuclei) is None]
        return {
            "pi0_model": self.model,
            "he_to_h": he_to_h,
            "ism_metals_he_equivalent": self.he_equivalent_metals,
            "species_used": ",".join(used),
            "species_omitted": ",".join(omitted),
        }

    def emissivity_per_h_atom(self, ds_or_density, egamma_gev, he_to_h: float | None = None):
        """Differential pi0 emissivity per H atom q(E_g, ...) in ph s^-1 sr^-1 GeV^-1 H^-1.

        ``ds_or_density``: a solution with ``density`` (species, ekin_gev_per_n, r_kpc,
        z_kpc) or any DataArray with dims ``species`` and ``ekin_gev_per_n`` (e.g.
        ``ds.density_midplane`` or a local spectrum). ``he_to_h`` defaults to the
        solution's ``[gas] he_to_h`` (0.1 when unknown). Returns a DataArray with the
        new leading dim ``egamma_gev`` and the density's remaining dims.
        """
        if he_to_h is None:
            he_to_h = he_to_h_of(ds_or_density)
        dens = _density_of(ds_or_density)
        eg = np.atleast_1d(np.asarray(egamma_gev, float))
        species = [str(s) for s in dens["species"].values]
        ekin = np.asarray(dens["ekin_gev_per_n"].values, float)
        mats = self.production_matrices(species, ekin, eg, he_to_h)
        out = self._apply(dens, mats, "egamma_gev", eg)
        out.attrs = {"units": UNITS_DIFFERENTIAL, "long_name": "pi0-decay emissivity per H atom"}
        out.attrs.update(self._species_attrs(dens, he_to_h))
        return out

    def band_matrices(
        self, species, ekin_gev_per_n, band, he_to_h: float = 0.1, nodes_per_decade: int = 12
    ) -> np.ndarray:
        """Band-integrated per-H-atom matrices, shape (n_species, 1, n_ekin)."""
        eg, we = log_gauss_band(band, nodes_per_decade)
        mats = self.production_matrices(species, ekin_gev_per_n, eg, he_to_h)
        return np.einsum("g,sge->se", we, mats)[:, None, :]

    def emissivity_band(self, ds_or_density, band, he_to_h: float | None = None):
        """pi0 emissivity per H atom integrated over ``band`` = (emin, emax) GeV.

        Returns ph s^-1 sr^-1 per H atom with the density's remaining dims (for a
        solution: (r_kpc, z_kpc); for a 3D solution: (x_kpc, y_kpc, z_kpc), the same
        matrices applied node by node).
        """
        if he_to_h is None:
            he_to_h = he_to_h_of(ds_or_density)
        dens = _density_of(ds_or_density)
        species = [str(s) for s in dens["species"].values]
        ekin = np.asarray(dens["ekin_gev_per_n"].values, float)
        mats = self.band_matrices(species, ekin, band, he_to_h)
        out = self._apply(dens, mats, None, None)
        out.attrs = {
            "units": UNITS_BAND,
            "long_name": "pi0-decay emissivity per H atom integrated over the band",
            "band_gev": [float(band[0]), float(band[1])],
        }
        out.attrs.update(self._species_attrs(dens, he_to_h))
        return out


@cache
def _default_production(model: str) -> PionProduction:
    return PionProduction(model)


def emissivity_per_h_atom(ds_or_density, egamma_gev, he_to_h=None, model: str = "aafrag"):
    """Module-level :meth:`PionProduction.emissivity_per_h_atom` (cached matrices)."""
    return _default_production(model).emissivity_per_h_atom(ds_or_density, egamma_gev, he_to_h)


def emissivity_band(ds_or_density, band, he_to_h=None, model: str = "aafrag"):
    """Module-level :meth:`PionProduction.emissivity_band` (cached matrices)."""
    return _default_production(model).emissivity_band(ds_or_density, band, he_to_h)


def emissivity(ds, band, he_to_h=None, model: str = "aafrag"):
    """``escapade.emissivity(ds, band)``: pi0 emissivity per H atom over ``band``, (R, z).

    Units ph s^-1 sr^-1 per H atom; inverse Compton and bremsstrahlung are not
    included (a later issue).
    """
    return emissivity_band(ds, band, he_to_h, model)


def _sun_ray(plane: xr.DataArray) -> xr.DataArray:
    """A 3D solution's mid-plane density (..., x_kpc, y_kpc) along y = 0, x >= 0, as r_kpc."""
    ray = plane.interp(y_kpc=0.0).drop_vars("y_kpc")
    return ray.sel(x_kpc=ray["x_kpc"] >= 0.0).rename(x_kpc="r_kpc")


def emissivity_vs_r(ds, band, model: str = "aafrag") -> xr.DataArray:
    """pi0 emissivity per H atom over ``band`` at z = 0 against R (ph s^-1 sr^-1 H^-1).

    Uses the mid-plane density (every solution has it; ``--full`` is not needed). For a
    solution of the 3D engine: q at z = 0 along the Galactocentric ray through the Sun
    (y = 0, x = R >= 0) of its ``density_plane``.
    """
    sol = as_solution(ds)
    ds = sol.dataset
    if "density_plane" in ds:
        dens = _sun_ray(ds["density_plane"])
    elif "density_midplane" in ds:
        dens = ds["density_midplane"]
    else:
        dens = ds["density"].interp(z_kpc=0.0)
    q = emissivity_band(dens, band, he_to_h=he_to_h_of(sol), model=model)
    q.attrs["r_sun_kpc"] = sol.sun_r_kpc
    return q


def emissivity_at(q: xr.DataArray, r_kpc: float) -> float:
    """An emissivity profile q(R) (from :func:`emissivity_vs_r`) at radius ``r_kpc``,
    interpolated linearly in ln q (zeros floored at 1e-300)."""
    r = q["r_kpc"].values
    return float(np.exp(np.interp(r_kpc, r, np.log(np.maximum(q.values, 1e-300)))))

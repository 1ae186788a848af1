"""The sections of a run configuration: one pydantic model per TOML table."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..species import SpeciesError, nuclide
from .abundance_presets import preset as abundance_preset_table

__all__ = [
    "RADIAL_PROFILES",
    "INELASTIC_SETS",
    "GalaxyConfig",
    "GridConfig",
    "DiffusionConfig",
    "SourceConfig",
    "LossesConfig",
    "NuclearConfig",
    "default_abundances",
    "SpeciesConfig",
    "LeptonsConfig",
    "ReaccelerationConfig",
    "ConvectionConfig",
    "SolverConfig",
    "StochasticConfig",
]

RADIAL_PROFILES = ("lorimer", "ferriere", "case_bhattacharya", "yusifov_kucuk", "uniform")
"""Names of the radial source profiles (:data:`escapade.galaxy.sources.RADIAL_PROFILES`)."""
INELASTIC_SETS = ("tripathi99", "barashenkov94", "webber03")
"""Names of the inelastic cross-section sets (:mod:`escapade.nuclear.crosssections`)."""
SLOPE_RANGE = (1.0, 5.0)
"""Allowed injection slopes above a break and per-species slopes: those of
``rigidity_index`` widened to 5 for the steep spectra above a cutoff-like break."""
"""Names of the inelastic cross-section sets (:mod:`escapade.nuclear.crosssections`)."""


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``allowed``, else the one-line error naming both."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=True)

    def _shown(self, key: str) -> str:
        """``key = value`` for an error message, marked ``(default)`` if the user did not write it.

        A cross-key check can then say which side of a conflict came from the user.
        """
        value = getattr(self, key)
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        mark = "" if key in self.model_fields_set else " (default)"
        return f"{key} = {shown}{mark}"

    @model_validator(mode="before")
    @classmethod
    def _reject_nonfinite(cls, data: Any) -> Any:
        # NaN is never a valid number; +inf only where a field documents it
        if isinstance(data, dict):
            for k, v in data.items():
                if isinstance(v, float) and math.isnan(v):
                    raise ValueError(f"{k} = nan is not a number")
        return data


class GalaxyConfig(_Section):
    """Geometry of the propagation volume (the letter: 20 kpc, 4 kpc, 8.5 kpc)."""

    r_max_kpc: float = Field(20.0, gt=0, lt=1e3, description="outer radius R_max of the cylinder")
    halo_height_kpc: float = Field(4.0, gt=0, lt=1e2, description="half-height H of the halo")
    sun_r_kpc: float = Field(8.5, gt=0, description="Galactocentric radius of the Sun")

    @model_validator(mode="after")
    def _sun_inside(self):
        if self.sun_r_kpc >= self.r_max_kpc:
            raise ValueError(
                f"{self._shown('sun_r_kpc')} must be smaller than {self._shown('r_max_kpc')}"
            )
        return self


class GridConfig(_Section):
    """Numbers of nodes and the kinetic-energy range."""

    nr: int = Field(81, ge=9, le=4001, description="nodes in R from the axis to R_max")
    nz: int = Field(161, ge=9, le=8001, description="nodes in z from -H to +H")
    nxy: int = Field(101, ge=9, le=2001, description="3D: nodes in x and y, -R_max..R_max (odd)")
    n_ekin: int = Field(64, ge=4, le=2000, description="energies (log-spaced)")
    ekin_min_gev_per_n: float = Field(0.1, gt=1e-4, description="lowest kinetic energy per nucleon")
    ekin_max_gev_per_n: float = Field(
        1.0e5, lt=1e9, description="highest kinetic energy per nucleon"
    )

    @field_validator("nxy")
    @classmethod
    def _odd(cls, v: int) -> int:
        if v % 2 == 0:
            raise ValueError("must be odd (>= 9): the 3D grid has a node on the axis x = y = 0")
        return v

    @model_validator(mode="after")
    def _energy_order(self):
        if not self.ekin_max_gev_per_n > self.ekin_min_gev_per_n:
            raise ValueError(
                f"{self._shown('ekin_max_gev_per_n')} must exceed "
                f"{self._shown('ekin_min_gev_per_n')}"
            )
        return self


class DiffusionConfig(_Section):
    """Spatial diffusion (see :mod:`escapade.transport.diffusion`)."""

    model: Literal["uniform", "source_correlated"] = "source_correlated"
    d0_cm2_s: float = Field(
        2.0e28, gt=0, lt=1e33, description="D at the Sun at reference rigidity (beta = 1, z = 0)"
    )
    reference_rigidity_gv: float = Field(3.0, gt=0, description="reference rigidity R0")
    delta: float = Field(0.6, ge=0.0, le=1.5, description="rigidity slope of D (D_perp)")
    eta: float = Field(-0.4, ge=-3.0, le=3.0, description="velocity slope: D ~ beta^eta")
    tau: float = Field(0.85, ge=0.0, le=1.0, description="D_perp ~ Q(R)^tau")
    z_scale_kpc: float = Field(4.0, gt=0, description="D ~ exp(|z|/z_scale); inf switches it off")
    parallel_ratio: float = Field(
        1.0, ge=0.0, description="D_par/D_perp at the Sun at R0; 0 removes the parallel branch"
    )
    parallel_delta: float = Field(1.0 / 3.0, ge=0.0, le=1.5, description="rigidity slope of D_par")
    parallel_floor: Literal["d_perp", "none"] = Field(
        "d_perp",
        description="3D engine: 'd_perp' keeps D_par >= D_perp (De Marco, Blasi & Stanev 2007, "
        "JCAP 0706, 027: D_perp < D_par), 'none' the literal power laws",
    )
    q_floor: float = Field(1e-2, gt=0.0, le=1.0, description="floor of Q(R)/Q(R_sun)")
    q_smoothing_kpc: float = Field(
        1.0, ge=0.0, le=10.0, description="3D: Gaussian smoothing of Q's arms in D ~ Q^tau"
    )
    break_rigidity_gv: float | None = Field(
        None,
        gt=0,
        lt=1e7,
        description="high-rigidity break of delta (Genolini+ 2017)",
    )
    break_delta_change: float = Field(
        0.0, ge=-1.0, le=1.0, description="slope change at the break: delta - this above it"
    )
    break_smoothness: float = Field(
        0.1, gt=0.0, le=1.0, description="width s of the break: b = [1 + (R/R_b)^(change/s)]^-s"
    )

    @field_validator("d0_cm2_s", "reference_rigidity_gv", "parallel_ratio", "q_floor")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class SourceConfig(_Section):
    """Source distribution and injection spectrum."""

    radial: str = Field("lorimer", description="radial profile: " + ", ".join(RADIAL_PROFILES))
    r_cut_kpc: float | None = Field(None, gt=0, description="no sources beyond this radius")
    vertical: Literal["exponential", "slab"] = "exponential"
    arms: Literal["none", "faucher_giguere_kaspi2006"] = Field(
        "none",
        description="3D engine: spiral-arm modulation of the sources, azimuthal average 1: "
        "'none' (axisymmetric, as 2D) or 'faucher_giguere_kaspi2006' (ApJ 643, 332, four arms)",
    )
    arm_width_fraction: float = Field(
        0.07, gt=0.0, le=1.0, description="arm width along the circle / R (FGK06: 0.07)"
    )
    arm_fraction: float = Field(
        1.0, ge=0.0, le=1.0, description="fraction of the sources in the arms (FGK06: all)"
    )
    vertical_scale_kpc: float = Field(
        0.2, gt=0, lt=100, description="scale height / half-thickness"
    )
    rigidity_index: float = Field(2.3, ge=1.0, le=4.0, description="injection slope in rigidity")
    break_rigidities_gv: list[float] = Field(default_factory=list, description="spectral breaks")
    break_indices: list[float] = Field(default_factory=list, description="slopes above each break")
    index_overrides: dict[str, float] = Field(
        default_factory=dict, description="per-species injection slope (isotope -> slope)"
    )
    spectrum_reference_rigidity_gv: float = Field(
        10.0, gt=0, description="rigidity at which abundances are defined"
    )
    norm_ekin_gev_per_n: float = Field(
        100.0, gt=0, description="kinetic energy per nucleon where the 1H flux is normalised"
    )
    norm_flux_m2_s_sr_gev: float = Field(
        4.4e-2, gt=0, description="interstellar 1H flux at the Sun there [1/(m^2 s sr GeV)]"
    )

    @field_validator("radial")
    @classmethod
    def _radial_known(cls, v: str) -> str:
        return _one_of(v, RADIAL_PROFILES, "profile")

    @model_validator(mode="after")
    def _breaks(self):
        if len(self.break_rigidities_gv) != len(self.break_indices):
            raise ValueError(
                f"{self._shown('break_rigidities_gv')} and {self._shown('break_indices')} "
                "must have the same length (one slope above each break)"
            )
        rb = self.break_rigidities_gv
        if any(not (b > 0 and math.isfinite(b)) for b in rb) or sorted(rb) != list(rb):
            raise ValueError(f"break_rigidities_gv = {rb} must be positive, finite and increasing")
        lo, hi = SLOPE_RANGE
        for i, g in enumerate(self.break_indices):
            if not lo <= g <= hi:
                raise ValueError(f"break_indices[{i}] = {g} must be a slope in [{lo}, {hi}]")
        for name, g in self.index_overrides.items():
            if not lo <= g <= hi:
                raise ValueError(f"index_overrides.{name} = {g} must be a slope in [{lo}, {hi}]")
        if not math.isfinite(self.norm_flux_m2_s_sr_gev):
            raise ValueError(f"norm_flux_m2_s_sr_gev = {self.norm_flux_m2_s_sr_gev} must be finite")
        return self


class LossesConfig(_Section):
    """Continuous energy losses (ionisation, Coulomb)."""

    enabled: bool = Field(True, description="ionisation and Coulomb energy losses")
    electron_temperature_k: float = Field(1.0e4, gt=0, lt=1e9, description="T_e of ionised gas")


class NuclearConfig(_Section):
    """Nuclear cross sections."""

    inelastic: str = Field(
        "barashenkov94", description="inelastic set: " + ", ".join(INELASTIC_SETS)
    )
    production: Literal["galprop12", "evoli2019", "wks98"] = Field(
        "galprop12", description="isotopic production (fragmentation) cross-section set"
    )
    light_nuclei: bool = Field(True, description="add the Coste et al. 2012 2H, 3H, 3He channels")
    antiproton_production: Literal["kdd18_param1", "kdd18_param2"] = Field(
        "kdd18_param1", description="pbar production: Korsmeier, Donato & Di Mauro 2018 I or II"
    )
    antiproton_tertiaries: bool = Field(
        True, description="non-annihilating pbar collisions (Tan & Ng 1983)"
    )

    @field_validator("inelastic")
    @classmethod
    def _known(cls, v: str) -> str:
        return _one_of(v, INELASTIC_SETS, "set")


DEFAULT_ABUNDANCES: dict[str, float] = {"1H": 1.0, "4He": 0.12}
"""Built-in source abundances of 1H and 4He (relative to 1H) when none are written."""


def default_abundances(data: dict[str, Any]) -> dict[str, float]:
    """The ``[species] abundances`` of a run that does not write them, for what it propagates.

    ``data`` holds the species keys validated so far. A ``z_max`` run gets ``{}``: the
    ``abundance_preset`` supplies every isotope (see :func:`escapade.model.resolve_abundances`).
    An explicit ``propagate`` run gets :data:`DEFAULT_ABUNDANCES` for 1H and 4He and the
    ``abundance_preset`` value (the AMS-02 fit, ``escapade/data/abundances/ams02.toml``) for
    every other propagated isotope, as a ``z_max`` run does; isotopes the preset does not
    inject (all of them with ``'none'``) are left out: secondaries only.
    """
    if data.get("z_max") is not None or not isinstance(data.get("propagate"), list):
        return {}
    name = data.get("abundance_preset", "ams02")
    table = abundance_preset_table(name) if name != "none" else {}
    out = {}
    for iso in data["propagate"]:
        value = DEFAULT_ABUNDANCES.get(iso, table.get(iso))
        if value is not None:
            out[iso] = value
    return out


class SpeciesConfig(_Section):
    """Which nuclei to propagate and their relative source abundances.

    Defaults follow the propagated species (:func:`default_abundances`); only what the
    user wrote is checked against ``propagate`` or ``z_max``.
    """

    z_max: int | None = Field(
        None, ge=1, le=28, description="propagate every CR isotope with Z <= z_max (the network)"
    )
    abundance_preset: Literal["ams02", "none"] = Field(
        "ams02",
        description="source abundances of isotopes not in `abundances` (z_max runs, and "
        "propagate runs that do not write `abundances`): 'ams02' (fitted, "
        "escapade/data/abundances) or 'none' (0)",
    )
    antiprotons: bool = Field(
        False, description="also propagate secondary antiprotons (from 1H and 4He)"
    )
    propagate: list[str] = Field(
        default_factory=lambda: ["1H", "4He"], description="isotopes to propagate, e.g. ['1H']"
    )
    abundances: dict[str, float] = Field(
        default_factory=default_abundances,
        description="source abundance relative to 1H at spectrum_reference_rigidity_gv; "
        "not written: 1H = 1.0, 4He = 0.12 and abundance_preset for the other propagated isotopes",
    )

    @field_validator("propagate")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("must list at least one isotope, e.g. ['1H', '4He']")
        for name in v:
            try:
                nuclide(name)
            except SpeciesError as exc:
                raise ValueError(str(exc)) from None
        if len(set(v)) != len(v):
            raise ValueError(f"lists an isotope twice: {v}")
        return v

    @model_validator(mode="after")
    def _abund(self):
        if self.z_max is not None and "propagate" in self.model_fields_set:
            raise ValueError(
                f"give either z_max (= {self.z_max}) or an explicit propagate list, not both"
            )
        if "abundances" not in self.model_fields_set:
            return self  # the default follows propagate / z_max (default_abundances)
        for name, val in self.abundances.items():
            if self.z_max is not None:
                try:
                    z = nuclide(name).z
                except SpeciesError as exc:
                    raise ValueError(f"abundances: {exc}") from None
                if z > self.z_max:
                    raise ValueError(f"abundances names {name!r} (Z = {z} > z_max = {self.z_max})")
            elif name not in self.propagate:
                raise ValueError(
                    f"abundances names {name!r}, which is not in {self._shown('propagate')}"
                )
            if not (val >= 0 and math.isfinite(val)):
                raise ValueError(f"abundances.{name} = {val} must be finite and >= 0")
        return self


class LeptonsConfig(_Section):
    """Electrons and positrons (see docs/leptons.md and :mod:`escapade.leptons`)."""

    enabled: bool = Field(False, description="also propagate electrons and positrons")
    electron_rigidity_index: float = Field(
        1.6, ge=0.0, le=5.0, description="primary e- injection slope below the first break"
    )
    electron_break_rigidities_gv: list[float] = Field(
        default_factory=lambda: [4.0], description="primary e- spectral breaks"
    )
    electron_break_indices: list[float] = Field(
        default_factory=lambda: [2.45], description="primary e- slopes above each break"
    )
    electron_norm_ekin_gev: float = Field(
        30.0, gt=0, description="kinetic energy where the primary e- flux is normalised"
    )
    electron_norm_flux_m2_s_sr_gev: float = Field(
        6.6e-3, gt=0, description="interstellar primary e- flux there [1/(m^2 s sr GeV)]"
    )
    secondaries: bool = Field(True, description="secondary e- and e+ from 1H and 4He on the gas")
    secondary_production: Literal["aafrag_kamae2006"] = Field(
        "aafrag_kamae2006", description="secondary e+- cross sections (AAfrag + Kamae 2006)"
    )
    b_field_model: Literal["exponential", "uniform"] = Field(
        "exponential", description="B(R, z): Strong et al. 2000 exponential, or uniform"
    )
    b_sun_ug: float = Field(5.0, gt=0, lt=1e3, description="total field at the Sun (uG)")
    b_r_scale_kpc: float = Field(10.0, gt=0, description="radial scale of B (exponential)")
    b_z_scale_kpc: float = Field(2.0, gt=0, description="vertical scale of B (exponential)")
    isrf_model: Literal["schlickeiser2002", "cmb"] = Field(
        "schlickeiser2002", description="ISRF: CMB + dust + starlight greybodies, or CMB only"
    )
    energy_refinement: int = Field(
        3, ge=1, le=16, description="lepton energy steps per grid step (stiff losses: >= 3)"
    )
    ic_anisotropic: bool = Field(
        False,
        description="IC maps with the ISRF's angular distribution (Moskalenko & Strong 2000)",
    )
    ic_anisotropy_lmax: int = Field(
        4, ge=1, le=16, description="harmonic order of the anisotropic IC expansion"
    )

    @model_validator(mode="after")
    def _breaks(self):
        rb, gi = self.electron_break_rigidities_gv, self.electron_break_indices
        if len(rb) != len(gi):
            raise ValueError(
                f"{self._shown('electron_break_rigidities_gv')} and "
                f"{self._shown('electron_break_indices')} must have the same length "
                "(one slope above each break)"
            )
        if any(not (b > 0 and math.isfinite(b)) for b in rb) or sorted(rb) != list(rb):
            raise ValueError(
                f"electron_break_rigidities_gv = {rb} must be positive, finite and increasing"
            )
        named = [(f"electron_break_indices[{i}]", g) for i, g in enumerate(gi)] + [
            ("electron_norm_flux_m2_s_sr_gev", self.electron_norm_flux_m2_s_sr_gev),
            ("electron_norm_ekin_gev", self.electron_norm_ekin_gev),
        ]
        for key, x in named:
            if not math.isfinite(x):
                raise ValueError(f"{key} = {x} must be finite")
        return self


class ReaccelerationConfig(_Section):
    """Diffusive reacceleration (see :mod:`escapade.transport.reacceleration`)."""

    v_alfven_km_s: float = Field(0.0, ge=0.0, le=300.0, description="Alfven speed; 0 = off")
    formula: Literal["seo_ptuskin", "simple"] = Field(
        "seo_ptuskin", description="D_pp D normalisation: Seo & Ptuskin 1994 or v_A^2 p^2 / 9"
    )


class ConvectionConfig(_Section):
    """Vertical Galactic wind (see :mod:`escapade.transport.convection`)."""

    v0_km_s: float = Field(0.0, ge=0.0, le=2000.0, description="wind speed at the plane; 0 = off")
    dvdz_km_s_per_kpc: float = Field(
        0.0, ge=0.0, le=1000.0, description="wind gradient dv/dz away from the plane"
    )
    radial: Literal["uniform", "source"] = Field(
        "uniform", description="v0 uniform in R, or scaled by Q(R)/Q(R_sun)"
    )


class SolverConfig(_Section):
    """Numerical options of the steady-state solver."""

    energy_scheme: Literal["bdf2", "upwind"] = Field(
        "bdf2", description="energy-loss discretisation: 2nd-order BDF or 1st-order upwind"
    )
    rtol: float = Field(
        1e-8,
        gt=0,
        lt=1e-3,
        description="relative residual of each linear solve (1e-8 against 1e-10: fluxes "
        "within 1e-8, the anisotropy within 2e-5, 13 % less time; benchmarks/results.md)",
    )
    coupled_rtol: float = Field(
        1e-8,
        gt=0,
        lt=1e-3,
        description="relative residual of the coupled (R, z, E) GMRES solve with reacceleration",
    )
    memory_limit_gb: float = Field(
        16.0, gt=0, description="refuse runs whose estimated memory exceeds this"
    )
    threads: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=1024,
        description="workers marching the nuclear network: this process and threads - 1 "
        "forked ones (Linux), a pipeline down the species; results agree to the solves' "
        "tolerance whatever the number; unset: the cores this process may use, 1 in a dask "
        "worker (scans, sampler)",
    )
    factorization: Literal["ldl", "superlu"] = Field(
        "ldl",
        description="direct factorisation of a symmetric energy system: ldl (QDLDL's LDL^T, "
        "Stellato et al. 2020; half the fill, faster triangular solves) or superlu (SuperLU's "
        "LU, always used with a wind); the solution is the same to the solves' tolerance",
    )
    z_symmetry: Literal["auto", "off"] = Field(
        "auto",
        description="auto: an energy whose D, loss and destruction rates and source are "
        "mirror-symmetric in z (a wind antisymmetric) is solved on the half z >= 0 only, an "
        "exact reduction (same discrete solution, about half the cost); off: the full grid",
    )


class StochasticConfig(_Section):
    """Discrete nearby sources on top of the smooth solution (docs/stochastic.md and
    :mod:`escapade.observables.stochastic`)."""

    enabled: bool = Field(False, description="add the stochastic nearby sources to `escapade run`")
    catalogue: str | None = Field(
        None,
        min_length=1,
        description="CSV of known sources: name, distance_kpc, age_kyr, l_deg, b_deg "
        "(optional distance_err_kpc, age_err_kyr), or a bundled one by name: nearby_snr "
        "(known nearby remnants, a reference per row)",
    )
    random_population: bool = Field(
        True, description="draw random bursts in the discrete region from the source density"
    )
    n_realisations: int = Field(1000, strict=True, ge=1, le=1_000_000, description="realisations")
    seed: int = Field(0, strict=True, ge=0, description="seed of the realisations (an integer)")
    include_smooth: bool = Field(
        True, description="add the smooth background and its dipole; false: discrete sources alone"
    )
    supernova_rate_per_century: float = Field(
        1.9,
        gt=0.0,
        lt=1e3,
        description="Galactic core-collapse supernova rate (Diehl et al. 2006, Nature 439, 45: "
        "1.9 +- 1.1 per century)",
    )
    discrete_max_age_kyr: float = Field(
        2000.0, gt=0.0, le=1e5, description="sources younger than this are discrete (a cut)"
    )
    discrete_max_distance_kpc: float = Field(
        1.0, gt=0.0, le=10.0, description="sources closer than this are discrete (a cut)"
    )
    escape_time_kyr: float = Field(
        0.0,
        ge=0.0,
        lt=1e5,
        description="release delay at escape_rigidity_gv, t_esc = this (R/R_esc)^-escape_slope "
        "(Gabici et al. 2009 form); 0 = burst-like",
    )
    escape_rigidity_gv: float = Field(
        1000.0, gt=0.0, lt=1e9, description="reference rigidity of escape_time_kyr"
    )
    escape_slope: float = Field(
        0.68, ge=0.0, le=5.0, description="slope of t_esc in rigidity (Nava et al. 2019: 0.68)"
    )
    compton_getting: bool = Field(
        False, description="add the Compton-Getting dipole (2 + gamma) v/c of the Sun's motion"
    )
    sun_velocity_u_km_s: float = Field(
        11.1, gt=-1e3, lt=1e3, description="Sun's velocity towards l = 0 (Schoenrich+ 2010)"
    )
    sun_velocity_v_km_s: float = Field(
        12.24, gt=-1e3, lt=1e3, description="Sun's velocity towards l = 90 deg (Schoenrich+ 2010)"
    )
    sun_velocity_w_km_s: float = Field(
        7.25, gt=-1e3, lt=1e3, description="Sun's velocity towards b = 90 deg (Schoenrich+ 2010)"
    )

    @model_validator(mode="after")
    def _has_sources(self):
        if self.enabled and not self.random_population and self.catalogue is None:
            raise ValueError(
                f"{self._shown('enabled')} with {self._shown('random_population')} and "
                f"{self._shown('catalogue')} has no sources: set random_population = true "
                "or give a catalogue CSV"
            )
        return self

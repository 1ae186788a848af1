"""A solved model as one object: the Dataset with its validated configuration.

Every solution Dataset stores the complete resolved configuration as TOML
(``attrs["config_toml"]``, written by :mod:`escapade.model.output`). A :class:`Solution`
is that Dataset together with the configuration validated once (the schema fills anything
absent, so no consumer types a default of its own), its label, its geometry and what it
holds (:attr:`Solution.capabilities`). :meth:`Solution.compute` solves a config into one
(the config object it was made from travels with it, nothing is re-parsed);
every consumer (emission, sky maps, figures, the CLI) takes a ``Solution`` or a plain
Dataset and turns it into one with :func:`as_solution`, which costs nothing for a
``Solution`` and one cached validation per distinct stored text for a Dataset.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import xarray as xr

from .config import Config, ConfigError, validate_config

__all__ = [
    "CAPABILITIES",
    "Solution",
    "SolutionCapabilityError",
    "SolutionConfigError",
    "as_solution",
    "config_label",
    "dataset_of",
    "solution_config",
    "solution_label",
    "tau_d0_label",
]

LEPTON_NAMES = ("e-", "e+")

CAPABILITIES = {
    "nuclei": "CR nuclei (any species other than e-, e+ and pbar)",
    "antiprotons": "antiprotons ([species] antiprotons = true)",
    "leptons": "electrons and positrons ([leptons] enabled = true)",
    "density": (
        "the CR density everywhere in the Galaxy (escapade.solve(cfg, full=True) or "
        "`escapade run --full`)"
    ),
    "density_midplane": "the CR density in the Galactic plane (z = 0)",
    "anisotropy": "the dipole anisotropy at the Sun",
}
"""What a solution can hold, by name, with the way to get it when it is missing."""


class SolutionConfigError(ValueError):
    """A solution whose stored configuration cannot be read or is not valid."""


class SolutionCapabilityError(ValueError):
    """A solution that lacks what a consumer needs (e.g. the full density for a sky map)."""


@lru_cache(maxsize=64)
def _parse(text: str) -> Config:
    if not text:
        return Config()
    try:
        return validate_config(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise SolutionConfigError(f"the stored config_toml is not TOML: {exc}") from None
    except ConfigError as exc:
        raise SolutionConfigError(f"the stored configuration is not valid: {exc}") from None


def _stored_text(ds) -> str:
    return (getattr(ds, "attrs", None) or {}).get("config_toml") or ""


@dataclass(frozen=True, eq=False)
class Solution:
    """A solved model: the output :class:`xarray.Dataset` and its validated
    :class:`~escapade.config.Config`.

    Attributes
    ----------
    dataset : the arrays (densities, local fluxes, anisotropy) with the output contract's
        names, and the configuration as TOML in ``attrs["config_toml"]``.
    config : the configuration the solution was made with, validated; shared between
        solutions of the same text: treat it as read-only.
    """

    dataset: xr.Dataset
    config: Config

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> Solution:
        """The Solution of a Dataset, its config validated once per distinct stored text.

        Without a stored configuration (a Dataset built by hand) the schema's defaults
        are used.
        """
        return cls(ds, _parse(_stored_text(ds)))

    @classmethod
    def compute(cls, cfg_or_model, full: bool = False, progress=None) -> Solution:
        """Solve a :class:`~escapade.config.Config` (or a built
        :class:`~escapade.model.Model`): the Dataset of :meth:`~escapade.model.Model.solve`
        with the config object it was made from (no re-parsing). ``full`` keeps the density
        on the whole grid (needed for sky maps)."""
        from .config import Config
        from .model import build_model

        model = build_model(cfg_or_model) if isinstance(cfg_or_model, Config) else cfg_or_model
        return cls(model.solve(full=full, progress=progress), model.cfg)

    @classmethod
    def open(cls, path: str | Path) -> Solution:
        """Read a solution file written by :meth:`write` or ``escapade run``."""
        from .io import open_solution

        return cls.from_dataset(open_solution(path))

    def write(self, path: str | Path) -> Path:
        """Write the Dataset as netCDF4 to ``path``, atomically; returns the path."""
        from .io import write_solution

        return write_solution(self.dataset, path)

    @property
    def label(self) -> str:
        """``"tau = 0.85, D0 = 2e+28"``: its tau (0 for uniform diffusion) and D0."""
        return config_label(self.config)

    @property
    def species(self) -> list[str]:
        """The species names of the Dataset, in its order (empty without a species axis)."""
        if "species" not in self.dataset.coords:
            return []
        return [str(s) for s in self.dataset["species"].values]

    @cached_property
    def capabilities(self) -> frozenset[str]:
        """The names of :data:`CAPABILITIES` that this solution holds."""
        names = set(self.species)
        found = {
            "nuclei": bool(names - {"pbar", *LEPTON_NAMES}),
            "antiprotons": "pbar" in names,
            "leptons": bool(names & set(LEPTON_NAMES)) or "flux_local_leptons" in self.dataset,
            "density": "density" in self.dataset,
            "density_midplane": "density_midplane" in self.dataset,
            "anisotropy": "anisotropy" in self.dataset,
        }
        return frozenset(k for k, v in found.items() if v)

    def require(self, capability: str, needed_for: str) -> None:
        """Raise :class:`SolutionCapabilityError` (one line) unless ``capability`` is held."""
        if capability not in CAPABILITIES:
            raise ValueError(
                f"capability {capability!r} unknown; allowed: {', '.join(CAPABILITIES)}"
            )
        if capability not in self.capabilities:
            raise SolutionCapabilityError(
                f"{needed_for} needs {CAPABILITIES[capability]}; this solution does not have it"
            )

    @property
    def sun_r_kpc(self) -> float:
        """Galactocentric radius of the Sun, kpc (``[galaxy] sun_r_kpc``)."""
        return float(self.config.galaxy.sun_r_kpc)

    @property
    def r_max_kpc(self) -> float:
        """Outer radius of the Galaxy, kpc: the grid's last node, or ``[galaxy] r_max_kpc``."""
        if "r_kpc" in self.dataset.coords:
            return float(self.dataset["r_kpc"].values.max())
        return float(self.config.galaxy.r_max_kpc)

    @property
    def halo_height_kpc(self) -> float:
        """Halo half-height H, kpc: the grid's last node, or ``[galaxy] halo_height_kpc``."""
        if "z_kpc" in self.dataset.coords:
            return float(np.abs(self.dataset["z_kpc"].values).max())
        return float(self.config.galaxy.halo_height_kpc)


def as_solution(obj: Solution | xr.Dataset) -> Solution:
    """``obj`` as a :class:`Solution` (itself, or the Solution of an escapade Dataset)."""
    if isinstance(obj, Solution):
        return obj
    if isinstance(obj, xr.Dataset):
        return Solution.from_dataset(obj)
    raise TypeError(f"expected an escapade Solution or xarray Dataset, got {type(obj).__name__}")


def dataset_of(obj: Solution | xr.Dataset) -> xr.Dataset:
    """The Dataset of a Solution (a Dataset is returned as it is)."""
    return obj.dataset if isinstance(obj, Solution) else obj


def solution_config(ds) -> Config:
    """The :class:`~escapade.config.Config` a solution (or scan, sky map) was made with.

    Accepts a :class:`Solution` or anything with ``attrs["config_toml"]``; without a
    stored configuration the schema's defaults are returned.
    """
    if isinstance(ds, Solution):
        return ds.config
    return _parse(_stored_text(ds))


def tau_d0_label(tau: float | None, d0_cm2_s: float | None) -> str:
    """``"tau = 0.85, D0 = 2e+28"`` (empty without tau)."""
    if tau is None:
        return ""
    return f"tau = {float(tau):g}" + (
        f", D0 = {float(d0_cm2_s):.3g}" if d0_cm2_s is not None else ""
    )


def config_label(cfg: Config) -> str:
    """The label of a configuration: its tau (0 for uniform diffusion) and D0."""
    d = cfg.diffusion
    return tau_d0_label(d.tau if d.model == "source_correlated" else 0.0, d.d0_cm2_s)


def solution_label(ds) -> str:
    """The label of a solution in figures and tables: its tau (0 for uniform diffusion) and D0."""
    return config_label(solution_config(ds))

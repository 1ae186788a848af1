"""What a solution carries besides its arrays: its validated configuration and its label.

Every solution Dataset stores the complete resolved configuration as TOML
(``attrs["config_toml"]``, written by :mod:`escapade.model.output`). Consumers read it
through :func:`solution_config`, which validates it once per distinct text (the schema
fills anything absent, so no consumer types a default of its own), and name a solution
with :func:`solution_label`.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

from .config import Config, ConfigError, validate_config


class SolutionConfigError(ValueError):
    """A solution whose stored configuration cannot be read or is not valid."""


def solution_config(ds) -> Config:
    """The :class:`~escapade.config.Config` a solution (or scan, sky map) was made with.

    Without a stored configuration (a Dataset built by hand) the schema's defaults are
    returned. The result is shared between calls on the same text: treat it as read-only.
    """
    text = (getattr(ds, "attrs", None) or {}).get("config_toml") or ""
    return _parse(text)


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


def tau_d0_label(tau: float | None, d0_cm2_s: float | None) -> str:
    """``"tau = 0.85, D0 = 2e+28"`` (empty without tau)."""
    if tau is None:
        return ""
    return f"tau = {float(tau):g}" + (
        f", D0 = {float(d0_cm2_s):.3g}" if d0_cm2_s is not None else ""
    )


def solution_label(ds) -> str:
    """The label of a solution in figures and tables: its tau (0 for uniform diffusion) and D0."""
    d = solution_config(ds).diffusion
    return tau_d0_label(d.tau if d.model == "source_correlated" else 0.0, d.d0_cm2_s)

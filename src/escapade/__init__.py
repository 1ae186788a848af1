"""escapade: Galactic cosmic-ray propagation with spatially dependent diffusion.

The public API::

    cfg = escapade.load_config("configs/letter_tau0.85.toml")
    ds = escapade.solve(cfg)               # xarray.Dataset
    escapade.write_solution(ds, "out.nc")
    ds = escapade.open_solution("out.nc")
    post = escapade.infer(cfg, data=["B/C:HEAO-3"], free=["diffusion.d0_cm2_s"], output="post/")
"""

from ._version import __version__
from .config import Config, ConfigError, dump_config, load_config, validate_config, with_updates  # noqa: E402
from .io import open_solution, write_solution  # noqa: E402
from .model import Model, solve  # noqa: E402
from .scan import scan  # noqa: E402
from .solution import Solution  # noqa: E402  (dask is imported when a scan starts)

_LAZY = {
    "emissivity": "escapade.emission",
    "infer": "escapade.inference",
    "local_flux": "escapade.observables.local",
    "modulate": "escapade.observables.local",
    "observable": "escapade.observables.local",
    "predict": "escapade.observables.local",
    "ratio": "escapade.observables.local",
    "longitude_profile": "escapade.sky",
    "skymap": "escapade.sky",
    "with_stochastic": "escapade.observables.stochastic",
}


def __getattr__(name: str):
    """Import the heavier parts of the API (gamma rays, sky maps) on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'escapade' has no attribute {name!r}")


__all__ = [
    "Config",
    "ConfigError",
    "Model",
    "Solution",
    "__version__",
    "dump_config",
    "emissivity",
    "infer",
    "longitude_profile",
    "skymap",
    "local_flux",
    "modulate",
    "observable",
    "predict",
    "ratio",
    "load_config",
    "open_solution",
    "scan",
    "solve",
    "validate_config",
    "with_stochastic",
    "with_updates",
    "write_solution",
]

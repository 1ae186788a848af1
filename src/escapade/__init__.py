"""escapade: Galactic cosmic-ray propagation with spatially dependent diffusion.

The public API::

    cfg = escapade.load_config("configs/letter_tau0.85.toml")
    ds = escapade.solve(cfg)               # xarray.Dataset
    escapade.write_solution(ds, "out.nc")
    ds = escapade.open_solution("out.nc")
"""

__version__ = "0.1.0"

from .config import Config, ConfigError, dump_config, load_config, validate_config, with_updates  # noqa: E402
from .emission import emissivity  # noqa: E402
from .io import open_solution, write_solution  # noqa: E402
from .model import Model, solve  # noqa: E402
from .observables.local import local_flux, modulate, observable, predict, ratio  # noqa: E402
from .sky import longitude_profile, skymap  # noqa: E402

__all__ = [
    "Config",
    "ConfigError",
    "Model",
    "__version__",
    "dump_config",
    "emissivity",
    "longitude_profile",
    "skymap",
    "local_flux",
    "modulate",
    "observable",
    "predict",
    "ratio",
    "load_config",
    "open_solution",
    "solve",
    "validate_config",
    "with_updates",
    "write_solution",
]

"""Run configuration: a validated pydantic schema read from TOML.

Every key carries its unit in its name. ``load_config(path)`` reads a TOML file,
``validate_config(dict)`` validates a mapping, ``dump_config(cfg)`` writes the complete
resolved configuration back as TOML (stored in every output file). Invalid input raises
:class:`ConfigError` with one line per problem naming the key, the value given and what is
allowed.

:mod:`~escapade.config.sections` holds one model per TOML table (``[gas]`` in
:mod:`~escapade.config.gas`, the 3D engine's own in :mod:`~escapade.config.sections3d`),
:mod:`~escapade.config.schema` the whole :class:`Config` and its reading and writing,
:mod:`~escapade.config.abundance_presets` the shipped source-abundance presets.
"""

from . import gas, sections, sections3d
from .errors import ConfigError
from .gas import *  # noqa: F403  (the [gas] section, gas.__all__)
from .schema import (
    Config,
    config_to_dict,
    dump_config,
    load_config,
    reference_markdown,
    validate_config,
    with_updates,
)
from .sections import *  # noqa: F403  (the section models, listed in sections.__all__)
from .sections3d import *  # noqa: F403  (the 3D engine's sections, sections3d.__all__)

__all__ = [
    "Config",
    "ConfigError",
    "config_to_dict",
    "dump_config",
    "load_config",
    "reference_markdown",
    "validate_config",
    "with_updates",
    *sections.__all__,
    *gas.__all__,
    *sections3d.__all__,
]

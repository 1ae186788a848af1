"""The model of a configuration: the 2D (R, z) engine, or the 3D engine of
``[transport] geometry = "3d"`` (issue 17)."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Config
from .model import Model
from .model3d import Model3D


def build_model(cfg: Config) -> Model | Model3D:
    """:class:`Model`, or :class:`Model3D` for ``transport.geometry = "3d"``, of ``cfg``."""
    return Model3D.from_config(cfg) if cfg.transport.geometry == "3d" else Model.from_config(cfg)


def solve(cfg: Config, full: bool = False, progress: Callable[[], None] | None = None):
    """Build the model of ``cfg`` and solve it; returns an :class:`xarray.Dataset`."""
    return build_model(cfg).solve(full=full, progress=progress)

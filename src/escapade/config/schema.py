"""Run configuration: a validated pydantic schema read from TOML.

Every key carries its unit in its name. ``load_config(path)`` reads a TOML file,
``Config.model_validate(dict)`` validates a mapping, ``dump_config(cfg)`` writes
the complete resolved configuration back as TOML (stored in every output file).

Invalid input raises :class:`ConfigError` with one line per problem naming the
key, the value given and what is allowed.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..species import SpeciesError, nuclide
from .errors import ConfigError
from .gas import GasConfig
from .sections import (
    ConvectionConfig,
    DiffusionConfig,
    GalaxyConfig,
    GridConfig,
    LeptonsConfig,
    LossesConfig,
    NuclearConfig,
    ReaccelerationConfig,
    SolverConfig,
    SourceConfig,
    SpeciesConfig,
    StochasticConfig,
)
from .sections3d import PARALLEL_RATIO_MAX_3D, FieldConfig, TransportConfig


class Config(BaseModel):
    """A complete escapade run configuration."""

    model_config = ConfigDict(extra="forbid")

    galaxy: GalaxyConfig = Field(default_factory=GalaxyConfig)
    grid: GridConfig = Field(default_factory=GridConfig)
    diffusion: DiffusionConfig = Field(default_factory=DiffusionConfig)
    source: SourceConfig = Field(default_factory=SourceConfig)
    gas: GasConfig = Field(default_factory=GasConfig)
    losses: LossesConfig = Field(default_factory=LossesConfig)
    nuclear: NuclearConfig = Field(default_factory=NuclearConfig)
    species: SpeciesConfig = Field(default_factory=SpeciesConfig)
    leptons: LeptonsConfig = Field(default_factory=LeptonsConfig)
    reacceleration: ReaccelerationConfig = Field(default_factory=ReaccelerationConfig)
    convection: ConvectionConfig = Field(default_factory=ConvectionConfig)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    stochastic: StochasticConfig = Field(default_factory=StochasticConfig)
    transport: TransportConfig = Field(default_factory=TransportConfig)
    field: FieldConfig = Field(default_factory=FieldConfig)

    @model_validator(mode="after")
    def _geometry_checks(self):
        """What only one engine can do: spiral arms need 3D; the 3D tensor needs D_par >= D_perp
        at the reference rigidity and a ratio the anisotropic scheme resolves."""
        src, d = self.source, self.diffusion
        if self.transport.geometry == "2d":
            if src.arms != "none":
                raise ValueError(
                    f"source.{src._shown('arms')} needs transport.geometry = '3d' (got "
                    f"transport.{self.transport._shown('geometry')}; the 2D engine is "
                    "axisymmetric): set arms = 'none' or geometry = '3d'"
                )
            return self
        ratio = d.parallel_ratio
        if ratio != 0.0 and not 1.0 <= ratio <= PARALLEL_RATIO_MAX_3D:
            raise ValueError(
                f"diffusion.{d._shown('parallel_ratio')} with transport.geometry = '3d': must be "
                f"0 (isotropic tensor, D_par = D_perp) or in [1, {PARALLEL_RATIO_MAX_3D:g}] "
                "(D_par / D_perp at the Sun at the reference rigidity)"
            )
        return self

    @model_validator(mode="after")
    def _cross_checks(self):
        if (
            self.reacceleration.v_alfven_km_s > 0
            and self.reacceleration.formula == "seo_ptuskin"
            and self.diffusion.delta <= 0
        ):
            raise ValueError(
                f"reacceleration.{self.reacceleration._shown('formula')} needs "
                f"diffusion.delta > 0 (got {self.diffusion.delta}); use formula = 'simple' "
                "or a positive delta"
            )
        if self.leptons.enabled and self.leptons.secondaries:
            names = None if self.species.z_max is not None else self.species.propagate
            if names is not None and "1H" not in names:
                raise ValueError(
                    f"leptons.{self.leptons._shown('secondaries')} needs 1H among the "
                    f"propagated species (species.{self.species._shown('propagate')}); add it "
                    "or set leptons.secondaries = false"
                )
        sp = self.species
        for name in self.source.index_overrides:
            if sp.z_max is not None:  # the network, not the (unused) propagate default
                try:
                    z = nuclide(name).z
                except SpeciesError as exc:
                    raise ValueError(f"source.index_overrides: {exc}") from None
                if z > sp.z_max:
                    raise ValueError(
                        f"source.index_overrides names {name!r} "
                        f"(Z = {z} > species.z_max = {sp.z_max})"
                    )
            elif name not in sp.propagate:
                raise ValueError(
                    f"source.index_overrides names {name!r}, which is not in "
                    f"species.{sp._shown('propagate')}"
                )
        return self


def _known_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _section_model(section: str) -> type[BaseModel] | None:
    f = Config.model_fields.get(section)
    return f.annotation if f is not None else None  # type: ignore[return-value]


def _format_error(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) if loc else "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent: type[BaseModel] | None = Config
        for part in loc[:-1]:
            parent = _section_model(part) if parent is Config else None
        allowed = _known_keys(parent) if parent is not None else []
        guess = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        where = f"[{'.'.join(loc[:-1])}] " if len(loc) > 1 else ""
        return f"{where}unknown key {loc[-1]!r}{hint} Allowed: {', '.join(allowed)}"
    value = err.get("input")
    if isinstance(value, dict):
        return f"{key}: {msg}"
    return f"{key} = {value!r}: {msg}"


def validate_config(data: dict[str, Any]) -> Config:
    """Validate a mapping (as read from TOML) into a :class:`Config`."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        # a default that depends on a key which failed (default_abundances) is not a problem
        # of its own: the failed key is reported
        errors = [e for e in exc.errors() if e["type"] != "default_factory_not_called"]
        lines = [_format_error(e, data) for e in errors]
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from None


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML configuration file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(p)!r}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {str(p)!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(p)!r} is not valid TOML: {exc}") from None
    return validate_config(data)


def config_to_dict(cfg: Config) -> dict[str, Any]:
    """The complete resolved configuration as plain TOML-able data (None values dropped)."""

    def clean(obj):
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items() if v is not None}
        if isinstance(obj, list):
            return [clean(v) for v in obj]
        return obj

    data = clean(cfg.model_dump(mode="python"))
    if cfg.species.z_max is not None:
        # the network defines the species; default abundances come from the preset
        data["species"].pop("propagate", None)
        if "abundances" not in cfg.species.model_fields_set:
            data["species"].pop("abundances", None)
    return data


def dump_config(cfg: Config) -> str:
    """TOML text of the complete resolved configuration."""
    return tomli_w.dumps(config_to_dict(cfg))


def with_updates(cfg: Config, updates: dict[str, Any]) -> Config:
    """A copy of ``cfg`` with dotted keys replaced, e.g. ``{"diffusion.tau": 0.5}``.

    Unknown keys raise :class:`ConfigError` listing the valid ones.
    """
    data = config_to_dict(cfg)
    membership = {"species.propagate", "species.z_max", "species.abundance_preset"}
    if (
        membership & updates.keys()
        and "species.abundances" not in updates
        and "abundances" not in cfg.species.model_fields_set
    ):
        data["species"].pop("abundances", None)  # default abundances follow the new species
    for dotted, value in updates.items():
        parts = dotted.split(".")
        if (
            len(parts) != 2
            or parts[0] not in data
            or parts[1] not in Config.model_fields[parts[0]].annotation.model_fields
        ):  # type: ignore[union-attr]
            valid = [
                f"{s}.{k}"
                for s in Config.model_fields
                for k in Config.model_fields[s].annotation.model_fields  # type: ignore[union-attr]
            ]
            guess = difflib.get_close_matches(dotted, valid, n=1)
            hint = f" Did you mean {guess[0]!r}?" if guess else ""
            raise ConfigError(f"{dotted!r} is not a config key.{hint}")
        data[parts[0]][parts[1]] = value
    return validate_config(data)


def _toml_value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else tomli_w.dumps(value).strip().replace("\n", ", ")
    return tomli_w.dumps({"v": value}, multiline_strings=False).split("=", 1)[1].strip()


def reference_markdown() -> str:
    """The configuration reference (every key, its default and meaning) as a markdown table."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for section, field in Config.model_fields.items():
        model = field.annotation
        defaults = model()  # type: ignore[operator]
        for key, f in model.model_fields.items():  # type: ignore[union-attr]
            value = getattr(defaults, key)
            shown = _toml_value(value)
            doc = f.description or ""
            if not doc and hasattr(f.annotation, "__args__"):
                doc = "one of " + ", ".join(repr(a) for a in f.annotation.__args__)
            rows.append(f"| `{section}.{key}` | `{shown}` | {doc} |")
    return "\n".join(rows)

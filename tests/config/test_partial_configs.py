"""Partial configurations (issue #14): every default fits what the user wrote.

A config names a few keys; everything else is a default. Each config either runs or
fails on something the user wrote: a default may only be named in an error where it
is an independent input that the user's value must respect (the Sun inside R_max, one
slope per break, ...), listed in ``DEFAULT_MAY_CONSTRAIN`` below. Defaults that depend
on other keys (the source abundances on the propagated species) never conflict.

Valid values come from the pydantic field metadata (type, bounds, Literal choices),
with a small table for the structured keys (species lists, abundances, break lists).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import annotated_types as at
import numpy as np
import pytest
from pydantic import ValidationError

import escapade
from escapade.cli import main
from escapade.config import Config, ConfigError, dump_config, validate_config, with_updates
from escapade.galaxy.sources import RADIAL_PROFILES
from escapade.io import open_solution
from escapade.model import resolve_abundances
from escapade.nuclear.crosssections import INELASTIC_SETS, CrossSectionError
from escapade.scan import config_keys
from escapade.species import nuclide

KEYS = config_keys()
SHIPPED = tomllib.loads(
    resources.files("escapade.data.abundances").joinpath("ams02.toml").read_text("utf-8")
)["abundances"]
"""The shipped AMS-02-fitted abundance table, read straight from the package data."""

BUILTIN = {"1H": 1.0, "4He": 0.12}
"""The README's default abundances of 1H and 4He."""

TINY_GRID = {"nr": 9, "nz": 9, "n_ekin": 4}
"""The smallest grid config.py allows."""

POOL = ["1H", "2H", "3He", "4He", "7Li", "9Be", "10Be", "10B", "11B", "12C", "13C"]
POOL += ["14N", "15N", "16O", "20Ne", "24Mg", "28Si", "56Fe"]
Z = {n: nuclide(n).z for n in POOL}

SURVEY3D_ONLY = {"gas.dark_gas", "gas.hi_flare", "gas.hi_warp", "gas.dust_map"}
SURVEY3D_ONLY |= {"gas.dust_to_gas_cm2_mag", "gas.hi_survey_constraint"}
"""Options of the survey3d gas: with the default model they are an error naming gas.model."""

DEFAULT_MAY_CONSTRAIN: dict[str, set[str]] = {
    # default key -> user keys whose values it may legitimately reject
    "gas.model": SURVEY3D_ONLY,
    "galaxy.sun_r_kpc": {"galaxy.r_max_kpc"},
    "galaxy.r_max_kpc": {"galaxy.sun_r_kpc"},
    "grid.ekin_min_gev_per_n": {"grid.ekin_max_gev_per_n"},
    "grid.ekin_max_gev_per_n": {"grid.ekin_min_gev_per_n"},
    "source.break_rigidities_gv": {"source.break_indices"},
    "source.break_indices": {"source.break_rigidities_gv"},
    "leptons.electron_break_rigidities_gv": {"leptons.electron_break_indices"},
    "leptons.electron_break_indices": {"leptons.electron_break_rigidities_gv"},
    # an abundance or slope for a nucleus that is not propagated
    "species.propagate": {"species.abundances", "source.index_overrides"},
    # secondary leptons come from 1H: the message says to add it or switch them off
    "leptons.secondaries": {"species.propagate"},
    # reacceleration with delta = 0: the message says to use formula = 'simple'
    "reacceleration.formula": {"diffusion.delta"},
    # stochastic sources with no random population need a catalogue (the message says so)
    "stochastic.catalogue": {"stochastic.enabled", "stochastic.random_population"},
    "stochastic.enabled": {"stochastic.random_population"},
    "stochastic.random_population": {"stochastic.enabled"},
    # spiral-arm sources need the 3D engine (the message says to set geometry = '3d')
    "transport.geometry": {"source.arms"},
}
NEVER_WITH = {"species.propagate": {"species.z_max"}}
"""A z_max run ignores the propagate default, so an error may not name it."""


# ---------------------------------------------------------------- valid values


def _field(key: str):
    section, name = key.split(".")
    return Config.model_fields[section].annotation.model_fields[name]  # type: ignore[union-attr]


def _bounds(key: str) -> tuple[float, float, bool, bool]:
    """(low, high, low inclusive, high inclusive) from the field metadata."""
    lo, hi, lo_in, hi_in = -math.inf, math.inf, False, False
    for m in _field(key).metadata:
        if isinstance(m, at.Gt):
            lo, lo_in = float(m.gt), False
        elif isinstance(m, at.Ge):
            lo, lo_in = float(m.ge), True
        elif isinstance(m, at.Lt):
            hi, hi_in = float(m.lt), False
        elif isinstance(m, at.Le):
            hi, hi_in = float(m.le), True
    return lo, hi, lo_in, hi_in


def _inside(key: str, v: float) -> bool:
    lo, hi, lo_in, hi_in = _bounds(key)
    return (v > lo or (lo_in and v == lo)) and (v < hi or (hi_in and v == hi))


def _kind(key: str) -> tuple[str, tuple]:
    """('bool' | 'int' | 'float' | 'literal', literal choices) of a scalar field."""
    ann = _field(key).annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    if ann is bool:
        return "bool", ()
    if typing.get_origin(ann) is typing.Literal:
        return "literal", typing.get_args(ann)
    if ann is int or (args and args[0] is int):
        return "int", ()
    if ann is float or (args and args[0] is float):
        return "float", ()
    raise AssertionError(f"{key}: no value generator for {ann}; add it to STRUCTURED")


NONE_BASE = {"diffusion.break_rigidity_gv": 300.0, "source.r_cut_kpc": 15.0, "species.z_max": 6}
NONE_BASE["stochastic.seed"] = 42  # the default seed 0 has no multiples to draw from
NONE_BASE["field.pitch_angle_deg"] = 10.0  # None: the field model's own pitch
NONE_BASE["solver.threads"] = 2  # None: the cores of the machine
NONE_BASE["gas.dust_to_gas_cm2_mag"] = 5.8e21  # "calibrated": a number is the other choice
"""A typical value for the keys whose default is None (off), or is 0."""


def _default(key: str) -> Any:
    section, name = key.split(".")
    return getattr(Config.model_fields[section].annotation(), name)  # type: ignore[operator]


def _random_scalar(key: str, rng: np.random.Generator) -> Any:
    kind, choices = _kind(key)
    default = _default(key)
    if kind == "bool":
        return not default
    if kind == "literal":  # the default itself where it is the only choice
        return str(rng.choice([c for c in choices if c != default] or [default]))
    lo, hi, _, _ = _bounds(key)
    base = NONE_BASE.get(key, default)
    for _ in range(100):
        if kind == "int":
            top = min(hi, 8 * base)
            v: float = int(rng.integers(int(lo), int(top) + 1))
        elif math.isfinite(lo) and math.isfinite(hi) and (base <= 0 or hi - lo <= 10):
            v = float(rng.uniform(lo, hi))
        else:
            v = float(base * 10 ** rng.uniform(-1, 1))
        if v != default and _inside(key, v):
            return v
    raise AssertionError(f"{key}: no valid value found")


def _alone_scalar(key: str) -> Any:
    """A valid non-default value, close to the default, for the key written alone."""
    kind, choices = _kind(key)
    default = _default(key)
    if kind == "bool":
        return not default
    if kind == "literal":
        return next((c for c in choices if c != default), default)
    base = NONE_BASE.get(key, default)
    steps = [base + 1, base - 1] if kind == "int" else [base * 1.5, base * 0.75, base + 0.25]
    return next(v for v in steps if v != default and _inside(key, v))


def _breaks(rng: np.random.Generator, n: int) -> list[float]:
    return sorted(float(x) for x in 10 ** rng.uniform(0.5, 4, n))


def _slopes(rng: np.random.Generator, n: int) -> list[float]:
    return [float(x) for x in rng.uniform(1.5, 3.5, n)]


def _nuclei(rng: np.random.Generator, candidates: list[str], most: int = 4) -> list[str]:
    k = int(rng.integers(1, min(most, len(candidates)) + 1))
    return [str(x) for x in rng.choice(candidates, size=k, replace=False)]


def _propagated(values: dict[str, Any]) -> list[str]:
    """The nuclei a generated config propagates (default list if it writes neither key)."""
    if "species.z_max" in values:
        return [n for n in POOL if Z[n] <= values["species.z_max"]]
    return values.get("species.propagate", ["1H", "4He"])


STRUCTURED_ALONE: dict[str, Any] = {
    "source.radial": "ferriere",
    "source.break_rigidities_gv": [300.0],  # conflicts with break_indices = [] alone
    "source.break_indices": [2.1],  # conflicts with break_rigidities_gv = [] alone
    "source.index_overrides": {"4He": 2.25},
    "nuclear.inelastic": "tripathi99",
    "gas.x_co": "strong2004",
    "species.propagate": ["1H", "12C", "16O"],
    "species.abundances": {"1H": 1.0, "4He": 0.2},
    "leptons.electron_break_rigidities_gv": [8.0],
    "leptons.electron_break_indices": [2.6],
    "stochastic.catalogue": "nearby_sources.csv",
    "grid.nxy": 103,  # odd: a node on the axis
    "field.pitch_angle_deg": 15.0,
}
CONFLICT_ALONE = {"source.break_rigidities_gv", "source.break_indices"} | SURVEY3D_ONLY
CONFLICT_ALONE |= {"source.arms"}  # needs transport.geometry = '3d'
"""Keys whose non-default value, written alone, rightly fails on the partner list."""


def _random_structured(key: str, rng: np.random.Generator, values: dict[str, Any]) -> Any:
    """A valid value of a structured key, often consistent with the keys drawn so far."""
    agree = rng.random() < 0.7
    if key == "source.radial":
        return str(rng.choice(list(RADIAL_PROFILES)))
    if key == "nuclear.inelastic":
        return str(rng.choice(list(INELASTIC_SETS)))
    if key == "gas.x_co":
        return "strong2004" if rng.random() < 0.3 else float(1.9e20 * 10 ** rng.uniform(-1, 1))
    if key == "diffusion.z_scale_kpc" and rng.random() < 0.2:
        return math.inf  # documented: switches the exponential off
    if key == "species.propagate":
        return _nuclei(rng, POOL, most=5)
    if key == "stochastic.catalogue":
        return "nearby_sources.csv"  # read only by `escapade run`, not by the schema
    if key == "grid.nxy":
        return 2 * int(rng.integers(4, 100)) + 1  # odd, >= 9
    if key == "field.pitch_angle_deg":
        return float(rng.uniform(0.5, 80.0))  # the validator's range (0 only for log_spiral)
    if key in ("species.abundances", "source.index_overrides"):
        names = _nuclei(rng, _propagated(values) if agree else POOL)
        if key == "source.index_overrides":
            return {n: float(rng.uniform(1.5, 3.5)) for n in names}
        return {n: float(10 ** rng.uniform(-4, 0)) for n in names}
    for rig, idx in [
        ("source.break_rigidities_gv", "source.break_indices"),
        ("leptons.electron_break_rigidities_gv", "leptons.electron_break_indices"),
    ]:
        partner = idx if key == rig else rig if key == idx else None
        if partner is None:
            continue
        n = len(values[partner]) if (agree and partner in values) else int(rng.integers(0, 4))
        return _breaks(rng, n) if key == rig else _slopes(rng, n)
    return _random_scalar(key, rng)


STRUCTURED = set(STRUCTURED_ALONE) | {"diffusion.z_scale_kpc"}
ORDER = ["species.z_max", "species.propagate"]
"""Keys drawn first, so that abundances and overrides can follow them."""


def random_partial(rng: np.random.Generator, n_keys: int) -> dict[str, Any]:
    """A random subset of ``n_keys`` dotted keys with valid values."""
    keys = [str(k) for k in rng.choice(KEYS, size=n_keys, replace=False)]
    keys.sort(key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))
    values: dict[str, Any] = {}
    for key in keys:
        if key in STRUCTURED:
            values[key] = _random_structured(key, rng, values)
        else:
            values[key] = _random_scalar(key, rng)
    if SURVEY3D_ONLY & values.keys() and rng.random() < 0.7:
        values["gas.model"] = "survey3d"  # mostly consistent: the options with their model
    return values


def nested(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = {}
    for dotted, v in values.items():
        section, name = dotted.split(".")
        data.setdefault(section, {})[name] = v
    return data


# ---------------------------------------------------------------- the check


def named_keys(section: str | None, message: str) -> set[str]:
    """Dotted config keys an error message names (bare names count inside their section)."""
    found = {k for k in KEYS if re.search(rf"(?<![\w.]){re.escape(k)}(?!\w)", message)}
    if section in Config.model_fields:
        for name in Config.model_fields[section].annotation.model_fields:  # type: ignore[union-attr]
            if re.search(rf"(?<![\w.]){name}(?!\w)", message):
                found.add(f"{section}.{name}")
    return found


def check(values: dict[str, Any]) -> Config | None:
    """Validate; on failure assert that every problem is one the user wrote.

    Returns the config, or None when it (rightly) failed.
    """
    written = set(values)
    data = nested(values)
    try:
        cfg = validate_config(data)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message
        with pytest.raises(ValidationError) as raw:
            Config.model_validate(data)
        for err in raw.value.errors():
            if err["type"] == "default_factory_not_called":
                continue
            loc = [str(p) for p in err["loc"]]
            assert len(loc) <= 1, f"generator wrote an invalid value: {err} for {values}"
            names = named_keys(loc[0] if loc else None, err["msg"])
            assert names & written, f"{message!r} names no key of {sorted(written)}"
            for key in names - written:
                allowed = DEFAULT_MAY_CONSTRAIN.get(key, set()) & names & written
                assert allowed and not (NEVER_WITH.get(key, set()) & written), (
                    f"{message!r}: the default {key} conflicts with {sorted(written)}"
                )
                assert f"{key.split('.')[1]} = " in message and "(default)" in message
            for key in names & written:
                assert key.split(".")[1] in message
        return None
    for dotted, v in values.items():
        section, name = dotted.split(".")
        assert getattr(getattr(cfg, section), name) == v, dotted
    round_trip(cfg)
    sp = cfg.species
    if sp.z_max is None and "species.abundances" not in written:
        table = SHIPPED if sp.abundance_preset == "ams02" else {}
        want = {n: BUILTIN.get(n, table.get(n)) for n in sp.propagate}
        assert sp.abundances == {n: v for n, v in want.items() if v is not None}
    return cfg


def round_trip(cfg: Config) -> None:
    """The resolved config dumped to TOML (as in every output) reloads to the same config."""
    text = dump_config(cfg)
    again = validate_config(tomllib.loads(text))
    assert again == cfg
    assert dump_config(again) == text
    if cfg.species.z_max is None:
        names = cfg.species.propagate
        assert resolve_abundances(again, names) == resolve_abundances(cfg, names)


# ---------------------------------------------------------------- the tests


def _run_cli(tmp_path: Path, text: str):
    path = tmp_path / "c.toml"
    path.write_text(text)
    out = tmp_path / "out.nc"
    assert main(["run", str(path), "-o", str(out)]) == 0
    return path, open_solution(out)


@pytest.mark.parametrize("propagate", [["1H"], ["1H", "12C"]])
def test_minimal_species_config_runs(tmp_path, propagate):
    minimal = f"[species]\npropagate = {json.dumps(propagate)}\n"
    cfg = validate_config(tomllib.loads(minimal))
    assert cfg.species.propagate == propagate
    tiny = "[grid]\n" + "".join(f"{k} = {v}\n" for k, v in TINY_GRID.items()) + minimal
    path, ds = _run_cli(tmp_path, tiny)
    assert sorted(ds.species.values) == sorted(propagate)
    used = json.loads(ds.attrs["source_abundances"])
    assert used["1H"] == 1.0
    if "12C" in propagate:
        assert used["12C"] == SHIPPED["12C"] == pytest.approx(7.562802e-03)
        assert float(ds.particles_injected.sel(species="12C").sum()) > 0  # a primary
    assert np.all(np.isfinite(ds.flux_local.values)) and np.all(ds.flux_local.values > 0)
    stored = validate_config(tomllib.loads(ds.attrs["config_toml"]))
    assert stored == escapade.load_config(path)
    round_trip(stored)


def test_abundances_follow_propagate_and_preset():
    cfg = validate_config({"species": {"propagate": ["4He", "16O", "11B"]}})
    assert cfg.species.abundances == {"4He": 0.12, "16O": SHIPPED["16O"]}  # no boron shipped
    none = validate_config({"species": {"propagate": ["1H", "16O"], "abundance_preset": "none"}})
    assert none.species.abundances == {"1H": 1.0}
    assert validate_config({}).species.abundances == BUILTIN  # the default run is unchanged
    assert validate_config({"species": {"z_max": 1}}).species.abundances == {}
    # written abundances are the user's table and are checked against propagate
    with pytest.raises(ConfigError, match=r"abundances names '4He', which is not in propagate"):
        validate_config({"species": {"propagate": ["1H"], "abundances": {"1H": 1, "4He": 0.1}}})
    # a change of the species in a scan or fit re-resolves abundances the user did not write
    moved = with_updates(cfg, {"species.propagate": ["1H", "12C"]})
    assert moved.species.abundances == {"1H": 1.0, "12C": SHIPPED["12C"]}
    mine = validate_config({"species": {"propagate": ["1H"], "abundances": {"1H": 2.0}}})
    with pytest.raises(ConfigError, match="abundances names '1H'"):
        with_updates(mine, {"species.propagate": ["4He"]})


def test_index_overrides_in_a_z_max_run():
    cfg = validate_config({"species": {"z_max": 6}, "source": {"index_overrides": {"12C": 2.2}}})
    assert cfg.source.index_overrides == {"12C": 2.2}
    with pytest.raises(ConfigError, match=r"'16O' \(Z = 8 > species.z_max = 6\)"):
        validate_config({"species": {"z_max": 6}, "source": {"index_overrides": {"16O": 2.2}}})


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        ({"galaxy.r_max_kpc": 8.0}, ["r_max_kpc = 8.0", "sun_r_kpc = 8.5 (default)"]),
        ({"grid.ekin_min_gev_per_n": 2e5}, ["ekin_min_gev_per_n = 200000.0", "(default)"]),
        ({"source.break_indices": [2.1]}, ["break_indices = [2.1]", "= [] (default)"]),
        ({"leptons.electron_break_rigidities_gv": []}, ["= [2.45] (default)"]),
        ({"species.abundances": {"12C": 0.01}}, ["'12C'", "['1H', '4He'] (default)"]),
        (
            {"leptons.enabled": True, "species.propagate": ["4He"]},
            ["leptons.secondaries = true (default)", "species.propagate = ['4He']"],
        ),
        (
            {"reacceleration.v_alfven_km_s": 30.0, "diffusion.delta": 0.0},
            ["formula = 'seo_ptuskin' (default)", "diffusion.delta > 0"],
        ),
        ({"species.z_max": 2, "species.propagate": ["1H"]}, ["z_max (= 2)", "propagate"]),
    ],
)
def test_conflicts_name_what_the_user_wrote(values, fragments):
    assert check(values) is None
    with pytest.raises(ConfigError) as exc:
        validate_config(nested(values))
    for frag in fragments:
        assert frag in str(exc.value), str(exc.value)


def test_cli_error_on_a_partial_config_is_one_line(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text("[galaxy]\nr_max_kpc = 8\n")
    assert main(["run", str(path), "-o", str(tmp_path / "out.nc")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("escapade: error:") and "\n" not in err
    assert "r_max_kpc = 8.0" in err and "sun_r_kpc = 8.5 (default)" in err
    assert not (tmp_path / "out.nc").exists()


@pytest.mark.parametrize("key", KEYS)
def test_each_key_alone(key):
    value = STRUCTURED_ALONE[key] if key in STRUCTURED_ALONE else _alone_scalar(key)
    cfg = check({key: value})
    assert (cfg is None) == (key in CONFLICT_ALONE), key
    if cfg is not None:  # every other key keeps its default (abundances follow propagate)
        default = config_to_plain(validate_config({}))
        got = config_to_plain(cfg)
        differ = {k for k in got if got[k] != default[k]}
        follows = {"species.abundances"} if key.startswith("species.") else set()
        assert differ - (follows - {key}) == ({key} if value != default[key] else set()), differ


def config_to_plain(cfg: Config) -> dict[str, Any]:
    return {k: getattr(getattr(cfg, k.split(".")[0]), k.split(".")[1]) for k in KEYS}


N_RANDOM = 600


def test_random_partial_configs():
    rng = np.random.default_rng(14)
    valid: list[Config] = []
    for _ in range(N_RANDOM):
        n_keys = int(rng.integers(2, 16)) if rng.random() < 0.8 else int(rng.integers(16, 40))
        cfg = check(random_partial(rng, n_keys))
        if cfg is not None:
            valid.append(cfg)
    # both outcomes are exercised, and the generator writes mostly consistent configs
    assert N_RANDOM * 0.4 < len(valid) < N_RANDOM


NOT_ON_A_TINY_GRID = {"species.z_max", "leptons.ic_anisotropic", "grid.nr", "grid.nz"}
NOT_ON_A_TINY_GRID |= {"grid.n_ekin", "solver.rtol", "solver.coupled_rtol"}
NOT_ON_A_TINY_GRID |= {"reacceleration.v_alfven_km_s", "convection.v0_km_s"}
NOT_ON_A_TINY_GRID |= {"convection.dvdz_km_s_per_kpc"}
"""Slow keys, and those that need a finer grid than 9 x 9 x 4 (or a tight solver.rtol) for
densities >= 0: the solver refuses them there, rightly."""


def test_random_partial_configs_solve():
    """Validated random partial configs, each with its own propagate list, solve on a tiny grid."""
    rng = np.random.default_rng(1)
    solved = 0
    while solved < 8:
        values = {"species.propagate": _nuclei(rng, POOL)}
        values |= random_partial(rng, int(rng.integers(3, 12)))
        if NOT_ON_A_TINY_GRID & values.keys() or (cfg := check(values)) is None:
            continue
        cfg = with_updates(cfg, {f"grid.{k}": v for k, v in TINY_GRID.items()})
        try:
            ds = escapade.solve(cfg)
        except CrossSectionError as exc:  # the set the user chose lacks a nucleus they propagate
            assert repr(values["nuclear.inelastic"]) in str(exc), values
            continue
        assert set(cfg.species.propagate) <= set(ds.species.values), values
        flux = ds.flux_local.values
        assert np.all(np.isfinite(flux)), values
        injected = any(a > 0 for a in cfg.species.abundances.values())
        assert (flux.max() > 0) == injected, values  # secondaries alone: nothing to make them
        solved += 1

"""The 3D engine's configuration keys: defaults keep the 2D run, the new keys round-trip
through the writer and reader, bad values fail in one line naming key, value and rule."""

from __future__ import annotations

import tomllib

import pytest
import xarray as xr

from escapade.config import (
    ConfigError,
    dump_config,
    reference_markdown,
    validate_config,
    with_updates,
)
from escapade.solution import solution_config

THREE_D = {
    "transport": {"geometry": "3d"},
    "grid": {"nxy": 51, "nz": 21},
    "field": {"model": "pshirkov2011_bss", "pitch_angle_deg": 7.5, "halo": False},
    "source": {"arms": "faucher_giguere_kaspi2006", "arm_width_fraction": 0.1},
    "diffusion": {"parallel_ratio": 100.0, "q_smoothing_kpc": 0.5, "parallel_floor": "none"},
}


def test_defaults_are_the_2d_engine():
    cfg = validate_config({})
    assert cfg.transport.geometry == "2d"
    assert cfg.source.arms == "none"
    assert cfg.field.model == "log_spiral" and cfg.field.pitch_angle_deg is None
    assert cfg.grid.nxy % 2 == 1 and cfg.grid.nz == 161
    assert cfg.diffusion.parallel_ratio == 1.0 and cfg.diffusion.parallel_delta == 1.0 / 3.0


def test_3d_keys_round_trip_through_the_writer():
    cfg = validate_config(THREE_D)
    text = dump_config(cfg)
    assert "[transport]" in text and "[field]" in text and "nxy = 51" in text
    assert validate_config(tomllib.loads(text)) == cfg
    # None (the model's own pitch) is left out and comes back as None
    default_pitch = with_updates(cfg, {"field.pitch_angle_deg": None})
    assert "pitch_angle_deg" not in dump_config(default_pitch)
    assert validate_config(tomllib.loads(dump_config(default_pitch))) == default_pitch


def test_every_new_key_is_in_the_reference():
    table = reference_markdown()
    for key in (
        "transport.geometry",
        "grid.nxy",
        "field.model",
        "field.pitch_angle_deg",
        "field.halo",
        "source.arms",
        "source.arm_width_fraction",
        "source.arm_fraction",
        "diffusion.q_smoothing_kpc",
        "diffusion.parallel_floor",
    ):
        assert f"`{key}`" in table


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ({"grid": {"nxy": 100}}, ["grid.nxy = 100", "must be odd"]),
        ({"grid": {"nxy": 7}}, ["grid.nxy = 7", "greater than or equal to 9"]),
        ({"field": {"pitch_angle_deg": 90.0}}, ["field.pitch_angle_deg = 90.0", "[0, 80]"]),
        ({"field": {"pitch_angle_deg": -5.0}}, ["field.pitch_angle_deg = -5.0", "trailing"]),
        ({"field": {"model": "sun2008"}}, ["field.model = 'sun2008'", "log_spiral"]),
        (
            {"field": {"model": "pshirkov2011_ass", "pitch_angle_deg": 0.0}},
            ["pitch_angle_deg = 0.0", "model = 'pshirkov2011_ass'", "1 / tan p"],
        ),
        ({"source": {"arms": "steiman"}}, ["source.arms = 'steiman'", "faucher_giguere_kaspi2006"]),
        ({"source": {"arm_width_fraction": 0.0}}, ["source.arm_width_fraction = 0.0"]),
        ({"source": {"arm_fraction": 1.5}}, ["source.arm_fraction = 1.5"]),
        (
            {"source": {"arms": "faucher_giguere_kaspi2006"}},
            ["source.arms = 'faucher_giguere_kaspi2006'", "needs transport.geometry = '3d'"],
        ),
        ({"transport": {"geometry": "1d"}}, ["transport.geometry = '1d'", "'2d' or '3d'"]),
        ({"diffusion": {"parallel_ratio": -1.0}}, ["diffusion.parallel_ratio = -1.0"]),
        (
            {"transport": {"geometry": "3d"}, "diffusion": {"parallel_ratio": 0.1}},
            ["diffusion.parallel_ratio = 0.1", "0 (isotropic tensor", "[1, 1000]"],
        ),
        (
            {"transport": {"geometry": "3d"}, "diffusion": {"parallel_ratio": 1e4}},
            ["diffusion.parallel_ratio = 10000.0", "[1, 1000]"],
        ),
        ({"diffusion": {"q_smoothing_kpc": -1.0}}, ["diffusion.q_smoothing_kpc = -1.0"]),
        ({"diffusion": {"parallel_floor": "max"}}, ["diffusion.parallel_floor = 'max'"]),
        ({"field": {"pich_angle_deg": 5.0}}, ["unknown key 'pich_angle_deg'", "pitch_angle_deg"]),
    ],
)
def test_bad_3d_input_one_line_naming_key_value_and_rule(data, fragments):
    with pytest.raises(ConfigError) as err:
        validate_config(data)
    msg = str(err.value)
    assert "\n" not in msg
    for fragment in fragments:
        assert fragment in msg


def test_ratio_zero_is_the_isotropic_tensor_in_3d():
    cfg = validate_config({"transport": {"geometry": "3d"}, "diffusion": {"parallel_ratio": 0}})
    assert cfg.diffusion.parallel_ratio == 0.0


def test_a_3d_config_stored_in_a_solution_comes_back():
    cfg = validate_config(THREE_D)
    ds = xr.Dataset(attrs={"config_toml": dump_config(cfg)})
    assert solution_config(ds) == cfg

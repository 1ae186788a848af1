"""Configuration: presets load, bad input is rejected with a message naming key, value and rule."""

import math
import re

import pytest

import escapade
from escapade.config import ConfigError, dump_config, load_config, validate_config, with_updates


def test_presets_load_and_round_trip(repo):
    for name in ("letter_tau0.toml", "letter_tau0.85.toml"):
        cfg = load_config(repo / "configs" / name)
        assert cfg.galaxy.r_max_kpc == 20.0 and cfg.galaxy.halo_height_kpc == 4.0
        assert cfg.diffusion.delta == 0.6 and cfg.diffusion.eta == -0.4
        assert cfg.source.radial == "lorimer"
        again = escapade.validate_config(__import__("tomllib").loads(dump_config(cfg)))
        assert again == cfg
    assert load_config(repo / "configs" / "letter_tau0.toml").diffusion.tau == 0.0
    assert load_config(repo / "configs" / "letter_tau0.85.toml").diffusion.tau == 0.85


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ({"diffusion": {"tua": 0.5}}, ["unknown key 'tua'", "did you mean 'tau'"]),
        ({"diffusion": {"tau": 1.5}}, ["diffusion.tau = 1.5", "less than or equal to 1"]),
        ({"diffusion": {"d0_cm2_s": -1e28}}, ["diffusion.d0_cm2_s = -1e+28", "greater than 0"]),
        ({"diffusion": {"d0_cm2_s": 0.0}}, ["diffusion.d0_cm2_s = 0.0", "greater than 0"]),
        ({"grid": {"nr": 3}}, ["grid.nr = 3", "greater than or equal to 9"]),
        ({"grid": {"nz": "many"}}, ["grid.nz = 'many'", "integer"]),
        ({"grid": {"ekin_min_gev_per_n": 10.0, "ekin_max_gev_per_n": 1.0}}, ["must exceed"]),
        ({"galaxy": {"sun_r_kpc": 25.0}}, ["sun_r_kpc = 25.0", "smaller than r_max_kpc"]),
        ({"source": {"radial": "lorimmer"}}, ["source.radial = 'lorimmer'", "lorimer"]),
        ({"species": {"propagate": ["4Hx"]}}, ["species.propagate", "unknown element"]),
        ({"nuclear": {"inelastic": "foo"}}, ["nuclear.inelastic = 'foo'", "barashenkov94"]),
        ({"diffusion": {"tau": math.nan}}, ["tau = nan"]),
        ({"foo": {}}, ["unknown key 'foo'"]),
    ],
)
def test_bad_values_name_key_value_and_rule(data, fragments):
    with pytest.raises(ConfigError) as exc:
        validate_config(data)
    msg = str(exc.value)
    for frag in fragments:
        assert frag in msg, msg
    assert "\n" not in msg


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid]\nnr = = 3\n")
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 2"):
        load_config(bad)
    latin = tmp_path / "latin.toml"
    latin.write_bytes("# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(latin)


def test_with_updates_and_unknown_dotted_key():
    cfg = with_updates(validate_config({}), {"diffusion.tau": 0.2})
    assert cfg.diffusion.tau == 0.2
    with pytest.raises(ConfigError, match="Did you mean 'diffusion.tau'"):
        with_updates(cfg, {"diffusion.taux": 0.2})


@pytest.mark.parametrize(
    "section, key, value, fragment",
    [
        ("source", "break_indices", [-7.0], "break_indices[0] = -7.0"),
        ("source", "break_rigidities_gv", [float("inf")], "positive, finite"),
        ("source", "index_overrides", {"1H": 9.0}, "index_overrides.1H = 9.0"),
        ("source", "norm_flux_m2_s_sr_gev", float("inf"), "norm_flux_m2_s_sr_gev = inf"),
        ("leptons", "electron_norm_ekin_gev", float("inf"), "electron_norm_ekin_gev = inf"),
    ],
)
def test_slopes_and_normalisations_out_of_range_name_their_key(section, key, value, fragment):
    data = {section: {key: value}}
    if key == "break_indices":
        data[section]["break_rigidities_gv"] = [300.0]
    if key == "break_rigidities_gv":
        data[section]["break_indices"] = [2.5]
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        validate_config(data)

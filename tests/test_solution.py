"""A solution's configuration comes from its stored TOML, completed by the schema only."""

import pytest
import xarray as xr

from escapade.config import Config, dump_config, with_updates
from escapade.io import stored_config
from escapade.solution import SolutionConfigError, solution_config, solution_label


def test_without_a_stored_config_the_schema_defaults_apply():
    cfg = solution_config(xr.Dataset())
    assert cfg == Config()
    assert stored_config(xr.Dataset())["galaxy"]["sun_r_kpc"] == Config().galaxy.sun_r_kpc


def test_a_partial_stored_config_is_completed_by_the_schema():
    ds = xr.Dataset(attrs={"config_toml": "[galaxy]\nsun_r_kpc = 8.178\n"})
    cfg = solution_config(ds)
    assert cfg.galaxy.sun_r_kpc == 8.178
    assert cfg.galaxy.r_max_kpc == Config().galaxy.r_max_kpc


def test_the_stored_config_round_trips_and_labels_the_solution():
    cfg = with_updates(Config(), {"diffusion.tau": 0.5, "diffusion.d0_cm2_s": 3e28})
    ds = xr.Dataset(attrs={"config_toml": dump_config(cfg)})
    assert solution_config(ds) == cfg
    assert solution_label(ds) == "tau = 0.5, D0 = 3e+28"
    uniform = with_updates(cfg, {"diffusion.model": "uniform"})
    assert solution_label(xr.Dataset(attrs={"config_toml": dump_config(uniform)})).startswith(
        "tau = 0,"
    )


@pytest.mark.parametrize(
    "text, fragment",
    [("[galaxy\n", "not TOML"), ("[diffusion]\ntau = 7.0\n", "not valid")],
)
def test_a_broken_stored_config_is_one_clear_error(text, fragment):
    with pytest.raises(SolutionConfigError, match=fragment):
        solution_config(xr.Dataset(attrs={"config_toml": text}))

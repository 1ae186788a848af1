"""A Solution: the Dataset with its validated config (stored TOML completed by the schema
only), its label, geometry and capabilities."""

import numpy as np
import pytest
import xarray as xr
from conftest import SMALL_TOML

import escapade
from escapade.config import Config, dump_config, with_updates
from escapade.solution import (
    Solution,
    SolutionCapabilityError,
    SolutionConfigError,
    as_solution,
    solution_config,
    solution_label,
)


def test_without_a_stored_config_the_schema_defaults_apply():
    cfg = solution_config(xr.Dataset())
    assert cfg == Config()
    assert as_solution(xr.Dataset()).sun_r_kpc == Config().galaxy.sun_r_kpc


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


@pytest.fixture(scope="module")
def tiny_solution():
    import tomllib

    return Solution.compute(escapade.validate_config(tomllib.loads(SMALL_TOML)))


def test_compute_keeps_the_config_object_and_the_stored_text_agrees(tiny_solution):
    sol = tiny_solution
    assert solution_config(sol.dataset) == sol.config
    assert sol.species == ["1H"]
    assert sol.r_max_kpc == float(sol.dataset.r_kpc.max())
    assert sol.halo_height_kpc == float(np.abs(sol.dataset.z_kpc).max())


def test_capabilities_name_what_the_solution_holds(tiny_solution):
    caps = tiny_solution.capabilities
    assert {"nuclei", "density_midplane", "anisotropy"} <= caps
    assert not caps & {"density", "leptons", "antiprotons"}
    with pytest.raises(SolutionCapabilityError, match="a sky map needs the CR density every"):
        tiny_solution.require("density", "a sky map")
    with pytest.raises(ValueError, match="capability 'densty' unknown; allowed: nuclei"):
        tiny_solution.require("densty", "a sky map")


def test_consumers_take_a_solution_or_its_dataset_alike(tiny_solution):
    from escapade.emission.pion import emissivity_vs_r

    a = emissivity_vs_r(tiny_solution, (1.0, 10.0))
    b = emissivity_vs_r(tiny_solution.dataset, (1.0, 10.0))
    np.testing.assert_array_equal(a.values, b.values)
    assert a.attrs["r_sun_kpc"] == tiny_solution.sun_r_kpc
    with pytest.raises(SolutionCapabilityError, match="pi0 emissivity on \\(R, z\\)"):
        escapade.emissivity(tiny_solution, (1.0, 10.0))


def test_write_and_open_round_trip(tiny_solution, tmp_path):
    path = tiny_solution.write(tmp_path / "s.nc")
    back = Solution.open(path)
    assert back.config == tiny_solution.config
    assert back.capabilities == tiny_solution.capabilities
    np.testing.assert_array_equal(back.dataset.flux_local.values, tiny_solution.dataset.flux_local)


def test_as_solution_refuses_other_objects():
    with pytest.raises(TypeError, match="expected an escapade Solution or xarray Dataset, got"):
        as_solution({"config_toml": ""})

"""The 3D engine end to end (issue 17): limits where the answer is known, conservation, the
output contract and bad input."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from escapade.config import validate_config
from escapade.model import build_model

BASE = {
    "galaxy": {"r_max_kpc": 20.0, "halo_height_kpc": 4.0},
    "grid": {
        "nr": 41,
        "nz": 21,
        "nxy": 41,
        "n_ekin": 4,
        "ekin_min_gev_per_n": 10.0,
        "ekin_max_gev_per_n": 1e4,
    },
    "species": {"propagate": ["1H"], "abundances": {"1H": 1.0}, "antiprotons": False},
    "diffusion": {"parallel_ratio": 0.0},
}


def config(geometry: str = "3d", **sections):
    d = copy.deepcopy(BASE)
    d["transport"] = {"geometry": geometry}
    for name, values in sections.items():
        d.setdefault(name, {}).update(values)
    return validate_config(d)


@pytest.fixture(scope="module")
def isotropic_3d():
    return build_model(config()).solve()


@pytest.mark.slow
def test_isotropic_axisymmetric_limit_is_the_2d_engine():
    """D_par = D_perp, no arms: the 3D solution is the 2D one at matched resolution
    (dx = dR = 0.5 kpc, the same z nodes). Measured: flux within 2.3e-4, dipole within
    1.2 % at 10 GeV (where the coarse z grid's gas matters; the 2D answer itself moves by
    5 % from nz = 21 to 81 there) and 0.4-0.6 % above."""
    two = build_model(config("2d")).solve()
    three = build_model(config(grid={"nxy": 81})).solve()
    f = (three.flux_local / two.flux_local).sel(species="1H").values
    a = (three.anisotropy / two.anisotropy_total).sel(species="1H").values
    assert np.all(np.abs(f - 1) < 1e-3), f
    assert abs(a[0] - 1) < 0.02, a
    assert np.all(np.abs(a[1:] - 1) < 0.01), a


@pytest.mark.slow
def test_antiprotons_in_the_isotropic_axisymmetric_limit_are_the_2d_engines():
    """Secondary antiprotons from 1H and 4He, tertiaries on, D_par = D_perp, no arms, on
    two workers: the 3D pbar flux is the 2D one at matched resolution. The 3D march solves
    the tertiaries exactly in one pass, the 2D engine in three fixed-point passes, so this
    also checks that the two treatments agree. Measured: 3D pbar/p 0.37-0.40 % above the
    2D one (10 GeV to 10 TeV; protons within 2.3e-4), and 2.9 % and 1.6 % lower without
    tertiaries at 10 and 27 GeV (non-annihilating collisions re-inject antiprotons at lower
    energy instead of removing them: the check sees a sign error or a lost term)."""
    sp = {"propagate": ["4He", "1H"], "abundances": {"1H": 1.0, "4He": 0.1}, "antiprotons": True}
    grid = {"n_ekin": 8}
    two = build_model(config("2d", species=sp, grid=grid)).solve()
    three_cfg = config(species=sp, grid={**grid, "nxy": 81}, solver={"threads": 2})
    three = build_model(three_cfg).solve()
    assert list(three.species.values) == ["4He", "1H", "pbar"]
    ratio = lambda ds: (ds.flux_local.sel(species="pbar") / ds.flux_local.sel(species="1H")).values  # noqa: E731
    r2, r3 = ratio(two), ratio(three)
    assert np.all(r3 > 0) and np.all(np.abs(r3 / r2 - 1) < 0.01), r3 / r2
    no_tert = config(species=sp, grid={**grid, "nxy": 81}, nuclear={"antiproton_tertiaries": False})
    r3n = ratio(build_model(no_tert).solve())
    assert np.all(r3n[:2] / r3[:2] < 0.99) and abs(r3n[-1] / r3[-1] - 1) < 1e-3, r3n / r3


@pytest.mark.slow
def test_leptons_in_the_isotropic_axisymmetric_limit_are_the_2d_engines():
    """Primary e- and secondary e-/e+ from 1H and 4He (synchrotron, IC, bremsstrahlung,
    ionisation and Coulomb losses; 3 lepton energies per model energy), D_par = D_perp, no
    arms, on two workers: the 3D fluxes and the e- dipole are the 2D engine's at matched
    resolution (dx = dR = 0.5 kpc). Measured: e- within 1.6e-3 (1 GeV to 10 TeV), e+
    0.4-0.8 % above, the e- dipole 2.9 % above at 1 GeV and within 1.4 % above. On a
    1 kpc grid e+ is up to 5 % below at 1 TeV: the check sees a loss rate or a secondary
    source on the wrong nodes."""
    sp = {"propagate": ["4He", "1H"], "abundances": {"1H": 1.0, "4He": 0.1}}
    grid = {"n_ekin": 9, "ekin_min_gev_per_n": 1.0, "ekin_max_gev_per_n": 1e4}
    two = build_model(config("2d", species=sp, grid=grid, leptons={"enabled": True})).solve()
    three_cfg = config(
        species=sp, grid={**grid, "nxy": 81}, leptons={"enabled": True}, solver={"threads": 2}
    )
    three = build_model(three_cfg).solve()
    assert list(three.species.values) == ["4He", "1H", "e-", "e+"]
    assert list(three.lepton_component.values) == ["primary e-", "secondary e-", "secondary e+"]
    ratio = (three.flux_local / two.flux_local).sel(species=["e-", "e+"]).values
    assert np.all(np.abs(ratio[0] - 1) < 3e-3), ratio[0]
    # no source above the grid's top energy: both engines give 0 there
    assert (
        three.flux_local.sel(species="e+").values[-1]
        == two.flux_local.sel(species="e+").values[-1]
        == 0
    )
    assert np.all(np.abs(ratio[1, :-1] - 1) < 0.015), ratio[1]
    a = (three.anisotropy / two.anisotropy_total).sel(species="e-").values
    assert abs(a[0] - 1) < 0.05 and np.all(np.abs(a[1:] - 1) < 0.02), a
    parts = three.flux_local_leptons.sum("lepton_component") - three.flux_local.sel(species="e+")
    np.testing.assert_allclose(parts, three.flux_local.sel(species="e-"), rtol=1e-10)


@pytest.mark.slow
def test_parallel_diffusion_along_an_azimuthal_field_changes_nothing(isotropic_3d):
    """With a purely azimuthal field (pitch 0) and axisymmetric sources the density has no
    gradient along b, so D_par must not matter: what changes is the scheme's numerical
    leak across the field (Sharma & Hammett 2007)."""
    aniso = build_model(config(diffusion={"parallel_ratio": 100.0})).solve()
    f = (aniso.flux_local / isotropic_3d.flux_local).values
    a = (aniso.anisotropy / isotropic_3d.anisotropy).values
    assert np.all(np.abs(f - 1) < 2e-3), f
    assert np.all(np.abs(a - 1) < 0.02), a


@pytest.mark.slow
def test_particles_are_conserved_with_an_oblique_field():
    """Without continuous losses every energy balances: injected = escaped + destroyed."""
    ds = build_model(
        config(
            losses={"enabled": False},
            diffusion={"parallel_ratio": 10.0},
            field={"pitch_angle_deg": 15.0},
        )
    ).solve()
    inj, esc, des = (ds[f"particles_{k}"].values for k in ("injected", "escaped", "destroyed"))
    assert np.all(np.abs(inj - esc - des) / inj < 1e-6)
    assert np.all(des > 0) and np.all(esc > des)
    # the symmetric scheme is not monotone: the undershoot is reported, and small
    assert -1e-2 < ds.attrs["solver_min_over_max"] <= 0.0


def test_output_contract(isotropic_3d, tmp_path):
    ds = isotropic_3d
    assert ds.attrs["geometry"] == "3d"
    assert ds.flux_local.dims == ("species", "ekin_gev_per_n")
    assert ds.anisotropy.dims == ("species", "ekin_gev_per_n")
    assert ds.diffusion_coefficient_sun_cm2_s.dims == ("species", "ekin_gev_per_n")
    assert ds.density_plane.dims == ("species", "ekin_gev_per_n", "x_kpc", "y_kpc")
    assert ds.dipole_vector.dims == ("species", "ekin_gev_per_n", "component")
    assert list(ds.component.values) == ["x", "y", "z"]
    vec = ds.dipole_vector.sel(species="1H").values
    np.testing.assert_allclose(np.linalg.norm(vec, axis=-1), ds.anisotropy.sel(species="1H"))
    # the density falls outwards at the Sun: the excess comes from the Galactic centre (-x)
    assert np.all(vec[:, 0] < 0)
    l_deg = ds.dipole_l_deg.sel(species="1H").values
    assert np.all(np.minimum(l_deg, 360 - l_deg) < 1.0)


def test_full_density_round_trips(tmp_path):
    from escapade.solution import Solution

    cfg = config(grid={"nxy": 21, "nz": 11, "n_ekin": 4})
    sol = Solution.compute(cfg, full=True)
    assert sol.dataset.density.dims == ("species", "ekin_gev_per_n", "x_kpc", "y_kpc", "z_kpc")
    sol.write(tmp_path / "s.nc")
    back = Solution.open(tmp_path / "s.nc")
    assert back.config.transport.geometry == "3d"
    np.testing.assert_allclose(back.dataset.flux_local, sol.dataset.flux_local)


def _run(tmp_path, toml: str, capsys):
    from escapade.cli.main import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    out = tmp_path / "out.nc"
    code = main(["run", str(cfg), "-o", str(out)])
    return code, capsys.readouterr().err, out


@pytest.mark.parametrize(
    "extra, key",
    [
        ("[reacceleration]\nv_alfven_km_s = 20.0\n", "reacceleration.v_alfven_km_s"),
        ("[convection]\nv0_km_s = 10.0\n", "convection.v0_km_s"),
        ("[solver]\nmemory_limit_gb = 0.01\n", "solver.memory_limit_gb"),
        ("[grid]\nnxy = 40\n", "nxy"),
    ],
)
def test_bad_3d_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, extra, key):
    toml = '[transport]\ngeometry = "3d"\n' + extra
    code, err, out = _run(tmp_path, toml, capsys)
    assert code == 2, err
    assert key in err
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_forked_pipeline_is_the_serial_march():
    """p + He on two worker processes (the pipeline of escapade.transport.pipeline) against
    one after the other (2H after 1H, which feeds it by p p -> d pi+),
    the densities agree to the solves' tolerance (CG to a relative residual of 1e-6), the
    counters of the forked worker come back and the progress bar counts species x energies."""
    cfg = config(species={"propagate": ["1H", "2H", "4He"], "abundances": {"1H": 1.0, "4He": 0.1}})
    serial = build_model(cfg.model_copy(update={"solver": cfg.solver.model_copy(
        update={"threads": 1})}))  # fmt: skip
    forked = build_model(cfg.model_copy(update={"solver": cfg.solver.model_copy(
        update={"threads": 2})}))  # fmt: skip
    assert serial.march_plan() == ["4He", "1H", "2H"]
    a = serial.solve_species()
    ticks = []
    b = forked.solve_species(progress=lambda: ticks.append(1))
    assert len(ticks) == 3 * cfg.grid.n_ekin
    assert list(a) == list(b) == ["4He", "1H", "2H"]
    for name in a:
        scale = np.max(np.abs(a[name].density))
        assert np.max(np.abs(b[name].density - a[name].density)) < 1e-6 * scale, name
        assert np.allclose(b[name].escaped, a[name].escaped, rtol=1e-6)
    assert forked.solver.stats.solves == serial.solver.stats.solves == 3 * cfg.grid.n_ekin
    assert forked.assemblies == serial.assemblies > 0

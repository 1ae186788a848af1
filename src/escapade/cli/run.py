"""``escapade run`` (solve a config, write a netCDF file) and ``escapade info``."""

from __future__ import annotations

from pathlib import Path

from .common import UserError
from .verbosity import add_verbosity_arguments, progress_bar


def cmd_run(args) -> int:
    from ..config import load_config
    from ..model import build_model
    from ..solution import Solution

    cfg = load_config(args.config)
    out = Path(args.output)
    if out.exists() and out.is_dir():
        raise UserError(f"output {str(out)!r} is a directory; give a file name such as out.nc")
    catalogue = _stochastic_catalogue(cfg)  # a bad catalogue fails before the solve
    model = build_model(cfg)
    total = len(model.species) * cfg.grid.n_ekin
    ctx, advance = progress_bar(total, "propagating")
    with ctx:
        sol = Solution.compute(model, full=args.full, progress=advance)
    if cfg.stochastic.enabled:
        from ..observables.stochastic import with_stochastic

        sol = with_stochastic(sol, catalogue=catalogue)
    sol.write(out)
    print(
        f"wrote {out} ({len(model.species)} species, {grid_text(cfg)} grid, "
        f"{sol.dataset.attrs['run_seconds']:.2f} s)"
    )
    return 0


def grid_text(cfg) -> str:
    """The grid of a config: nr x nz x n_ekin (2D) or nxy x nxy x nz x n_ekin (3D)."""
    g = cfg.grid
    if cfg.transport.geometry == "3d":
        return f"{g.nxy}x{g.nxy}x{g.nz}x{g.n_ekin} (x, y, z, E)"
    return f"{g.nr}x{g.nz}x{g.n_ekin}"


def _stochastic_catalogue(cfg):
    """The ``[stochastic]`` catalogue, read and checked (None when off or not given)."""
    st = cfg.stochastic
    if not st.enabled or st.catalogue is None:
        return None
    from ..observables.stochastic import read_catalogue

    return read_catalogue(st.catalogue)


def summary(ds) -> str:
    """A readable multi-line summary of a solution."""
    from ..numerics.interpolation import interp_log_x, interp_positive_log
    from ..solution import as_solution

    sol = as_solution(ds)
    ds = sol.dataset
    d = sol.config.diffusion
    lines = [
        f"escapade solution (written by escapade {ds.attrs['escapade_version']})",
        f"  grid: {_grid_sizes(sol)}  R_max={sol.config.galaxy.r_max_kpc} kpc,"
        f" H={sol.config.galaxy.halo_height_kpc} kpc,"
        f" E = {float(ds.ekin_gev_per_n[0]):.3g}-{float(ds.ekin_gev_per_n[-1]):.3g} GeV/n",
        f"  species: {', '.join(sol.species)}",
        f"  diffusion: {d.model}, D0={d.d0_cm2_s:.3g} cm^2/s"
        f" at {d.reference_rigidity_gv} GV,"
        f" delta={d.delta}, eta={d.eta}, tau={d.tau}",
        f"  full density stored: {'yes' if 'density' in sol.capabilities else 'no'}",
        f"  run time: {float(ds.attrs['run_seconds']):.2f} s",
    ]
    sp = "1H" if "1H" in sol.species else sol.species[0]
    e = ds.ekin_gev_per_n.values
    kind = "dipole, full tensor" if sol.config.transport.geometry == "3d" else "radial"
    lines.append(f"  at the Sun, {sp}:    E [GeV/n]   D [cm^2/s]   anisotropy ({kind})")
    for target in (1e2, 1e3, 1e4):
        if e[0] <= target <= e[-1]:
            dsun = interp_log_x(
                target, e, ds.diffusion_coefficient_sun_cm2_s.sel(species=sp).values
            )
            an = interp_positive_log(target, e, ds.anisotropy.sel(species=sp).values, empty=0.0)
            lines.append(f"                      {target:9.3g}   {dsun:10.3e}   {an:10.3e}")
    return "\n".join(lines)


def _grid_sizes(sol) -> str:
    ds = sol.dataset
    if sol.config.transport.geometry == "3d":
        n_e = ds.sizes["ekin_gev_per_n"]
        return f"nxy={ds.sizes['x_kpc']} x nz={ds.sizes['z_kpc']} x n_ekin={n_e} (3D, x, y, z)"
    return f"nr={ds.sizes['r_kpc']} x nz={ds.sizes['z_kpc']} x n_ekin={ds.sizes['ekin_gev_per_n']}"


def cmd_info(args) -> int:
    from ..solution import Solution

    print(summary(Solution.open(args.solution)))
    return 0


def register(sub) -> None:
    r = sub.add_parser("run", help="solve a configuration and write a netCDF file")
    r.add_argument("config", help="TOML configuration file")
    r.add_argument("-o", "--output", default="out.nc", help="output netCDF file (default out.nc)")
    r.add_argument(
        "--full",
        action="store_true",
        help="also store the density on the whole grid ((R, z), or (x, y, z) in 3D)",
    )
    add_verbosity_arguments(r)
    r.set_defaults(func=cmd_run)
    i = sub.add_parser("info", help="print a summary of a solution file")
    i.add_argument("solution", help="netCDF file written by 'escapade run'")
    i.set_defaults(func=cmd_info)

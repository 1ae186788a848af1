"""Estimating the memory of a 3D run from its configuration, before anything is built.

The estimate counts what dominates (bytes; 8 per double, 12 per sparse non-zero: value and
column index):

- the densities: every species at every energy on every node, kept for the secondaries of
  the network, stacked for the output and written (three copies, as the 2D estimate of
  :mod:`escapade.resources` counts them): 3 x n_species x n_ekin x nxy^2 x nz x 8;
- one energy's linear system: the operator of the conservative anisotropic stencil
  (:data:`NNZ_PER_ROW` = 27 non-zeros per unknown: the cross terms D_xy, D_xz, D_yz couple
  a node to its 26 neighbours), its two assembled parts and their sum, and the algebraic
  multigrid hierarchy (about twice the fine matrix): :data:`MATRIX_COPIES` = 5 matrices;
- the assembly's temporaries: face coefficients, gradients and field directions,
  :data:`ASSEMBLY_DOUBLES_PER_NODE` doubles per node;
- the per-node fields of the run (gas components, source, field direction, D_perp, D_par):
  :data:`FIELD_DOUBLES_PER_NODE` doubles per node;
- Python, numpy and scipy themselves (:data:`escapade.resources.BASELINE_BYTES`);
- with W worker processes (``[solver] threads``, the march's pipeline), W - 1 more linear
  systems and assembly temporaries (a forked worker shares the rest with this process).

The unknowns are the nodes strictly inside the cylinder R < R_max, |z| < H (the grid of
:mod:`escapade.grid3d`). ``check_memory_3d`` refuses a run whose estimate exceeds
``solver.memory_limit_gb`` with a one-line :class:`~escapade.resources.ResourceLimitError`.
"""

from __future__ import annotations

import numpy as np

from ..config import Config
from ..resources import BASELINE_BYTES, ResourceLimitError

NNZ_PER_ROW = 27
"""Non-zeros per row of the 3D anisotropic operator (the full 3 x 3 x 3 stencil)."""
MATRIX_COPIES = 5
"""Matrices of that size alive at once: two assembled parts, their sum, AMG hierarchy (~2)."""
ASSEMBLY_DOUBLES_PER_NODE = 150
"""Temporaries of one assembly per node (face tensors, gradients, directions)."""
FIELD_DOUBLES_PER_NODE = 12
"""Per-node fields kept through the run: gas (3), source (1), b (3), D_perp, D_par, spare."""


def n_unknowns_3d(cfg: Config) -> int:
    """Nodes strictly inside the cylinder (the unknowns of one energy's linear system)."""
    g, gal = cfg.grid, cfg.galaxy
    x = np.linspace(-gal.r_max_kpc, gal.r_max_kpc, g.nxy)
    r = np.hypot(x[:, None], x[None, :])
    inside = int(np.count_nonzero(r < gal.r_max_kpc * (1.0 - 1e-12)))
    return inside * (g.nz - 2)


def estimate_bytes_3d(cfg: Config, n_species: int | None = None, workers: int = 1) -> float:
    """Estimated peak memory (bytes) of solving ``cfg`` with the 3D engine on ``workers``
    processes."""
    g = cfg.grid
    ns = n_species if n_species is not None else len(cfg.species.propagate)
    nodes = float(g.nxy) * g.nxy * g.nz
    densities = 3.0 * ns * g.n_ekin * nodes * 8.0
    system = MATRIX_COPIES * NNZ_PER_ROW * n_unknowns_3d(cfg) * 12.0
    temporaries = (ASSEMBLY_DOUBLES_PER_NODE + FIELD_DOUBLES_PER_NODE) * nodes * 8.0
    return BASELINE_BYTES + densities + max(1, workers) * (system + temporaries)


def check_memory_3d(cfg: Config, n_species: int | None = None, workers: int = 1) -> float:
    """The estimate (bytes); :class:`ResourceLimitError` if it exceeds the configured limit."""
    need = estimate_bytes_3d(cfg, n_species, workers)
    limit = cfg.solver.memory_limit_gb
    if need > limit * 1e9:
        g = cfg.grid
        ns = n_species if n_species is not None else len(cfg.species.propagate)
        raise ResourceLimitError(
            f"this 3D run needs about {need / 1e9:.1f} GB ({g.nxy}x{g.nxy}x{g.nz} nodes, "
            f"{g.n_ekin} energies, {ns} species, {max(1, workers)} worker(s)), more than "
            f"solver.memory_limit_gb = {limit}; use a coarser grid (grid.nxy, grid.nz, "
            "grid.n_ekin), fewer solver.threads or raise the limit"
        )
    return need

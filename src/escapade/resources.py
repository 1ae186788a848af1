"""Estimating the memory a run needs before it starts.

The estimate counts the arrays that dominate: the density of every species on the
whole (E, R, z) grid (kept for the secondaries of the network and for ``--full``),
the sparse LU factors of the per-energy 2D operators (measured for this operator
and SuperLU's minimum-degree ordering: about 4.3 n^1.23 non-zeros for n unknowns,
12 bytes each), one factorisation per energy plane with reacceleration, and the
GMRES basis of the coupled solve. It errs on the high side by a factor < 1.5.
"""

from __future__ import annotations

from .config import Config

BASELINE_BYTES = 250e6
"""Python, numpy, scipy and xarray themselves."""


class ResourceLimitError(ValueError):
    """A run that would need more memory than ``solver.memory_limit_gb`` allows."""


def lu_bytes(n_unknowns: int) -> float:
    """Bytes of the L and U factors of one 2D operator with ``n_unknowns`` unknowns."""
    return 12.0 * 4.3 * n_unknowns**1.23 * 1.3


def estimate_bytes(cfg: Config, n_species: int | None = None) -> float:
    """Estimated peak memory (bytes) of solving ``cfg``."""
    g = cfg.grid
    ns = n_species if n_species is not None else len(cfg.species.propagate)
    n2d = (g.nr - 1) * (g.nz - 2)
    field = g.n_ekin * g.nr * g.nz * 8.0
    total = BASELINE_BYTES + 3.0 * ns * field  # densities, stacked copy, output
    total += 2.0 * lu_bytes(n2d) + 20.0 * n2d * 8.0
    if cfg.reacceleration.v_alfven_km_s > 0:
        coupled = g.n_ekin * (lu_bytes(n2d) + 7 * n2d * 12.0)  # factors and block matrices
        coupled += 45 * g.n_ekin * n2d * 8.0  # GMRES basis (restart 40) and work vectors
        total += 1.3 * coupled  # measured: SuperLU's and GMRES's own work space
    return total


def check_memory(cfg: Config, n_species: int | None = None) -> float:
    """Raise :class:`ResourceLimitError` if the estimate exceeds the configured limit."""
    need = estimate_bytes(cfg, n_species)
    limit = cfg.solver.memory_limit_gb * 1e9
    if need > limit:
        g = cfg.grid
        raise ResourceLimitError(
            f"this run needs about {need / 1e9:.1f} GB ({g.nr}x{g.nz}x{g.n_ekin} grid, "
            f"{n_species or len(cfg.species.propagate)} species"
            f"{', reacceleration' if cfg.reacceleration.v_alfven_km_s > 0 else ''}), more than "
            f"solver.memory_limit_gb = {cfg.solver.memory_limit_gb}; use a coarser grid or "
            "raise the limit"
        )
    return need


def release_memory() -> None:
    """Collect garbage and hand freed heap memory back to the operating system.

    Sparse LU factors (SuperLU) and other C allocations live on the C heap; once freed,
    glibc keeps them for reuse by this process unless ``malloc_trim`` is called. Called
    between the stages of a long workflow, it keeps the resident size of a worker at
    what the next stage needs (no effect where glibc is absent).
    """
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass

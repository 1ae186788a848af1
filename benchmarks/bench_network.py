"""Network benchmark: the full nuclear network on the letter's grids.

Prints wall time and memory of ``escapade.solve`` for Z_max = 14 and 28 and records
them in results.md. Usage: python benchmarks/bench_network.py
"""

from __future__ import annotations

from pathlib import Path

from _util import measure, record

PRESET = Path(__file__).resolve().parents[1] / "configs" / "letter_tau0.85.toml"
CASES = [
    (14, 81, 81, 65, "the letter's DRAGON set-up; target < 10 s"),
    (14, 81, 161, 64, ""),
    (28, 81, 161, 64, "target < 60 s"),
]


def main() -> None:
    rows = [
        "| Z_max | grid (R x z x E) | species | solve [s] | first solve in a process [s] "
        "| max RSS [MB] | LU factorisations / CG solves | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for zmax, nr, nz, ne, note in CASES:
        setup = (
            f"cfg = escapade.with_updates(escapade.load_config({str(PRESET)!r}), "
            f"{{'species.z_max': {zmax}, 'grid.nr': {nr}, 'grid.nz': {nz}, 'grid.n_ekin': {ne}}})"
        )
        stmt = (
            "import time; t = time.perf_counter(); ds = escapade.solve(cfg); "
            "extra = {'cold': time.perf_counter() - t, 'ns': ds.sizes['species'], "
            "'lu': int(ds.attrs['solver_factorizations']), "
            "'cg': int(ds.attrs['solver_cg_solves'])}"
        )
        rec = measure(setup, stmt, repeat=2)
        # the steady cost: a second solve in the same process
        warm = measure(
            setup,
            "escapade.solve(cfg)\nimport time\nt = time.perf_counter()\n"
            "escapade.solve(cfg)\nextra = {'warm': time.perf_counter() - t}",
            repeat=1,
        )
        row = (
            f"| {zmax} | {nr} x {nz} x {ne} | {rec['ns']} | {warm['warm']:.1f} | {rec['cold']:.1f} "
            f"| {rec['max_rss_mb']:.0f} | {rec['lu']} / {rec['cg']} | {note} |"
        )
        print(row)
        rows.append(row)
    note = (
        "\n\nFor scale (from the issue, same kind of machine): GALPROP v56 80 s on one thread "
        "(31 species), DRAGON 146-208 s on two (37 species). Each energy plane is one sparse "
        "solve; LU factorisations are shared between species at the same energy as CG "
        "preconditioners."
    )
    record("Nuclear network, letter preset tau = 0.85 (bench_network.py)", "\n".join(rows) + note)


if __name__ == "__main__":
    main()

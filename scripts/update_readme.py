"""Regenerate the generated parts of README.md.

    python scripts/update_readme.py                      # the configuration reference
    python scripts/update_readme.py --reproduce results/ # also the opening figures and table

The configuration reference comes from the pydantic schema. With ``--reproduce DIR`` (the
output folder of ``escapade reproduce``, full resolution) the letter's figures are copied to
``docs/figures/reproduce/`` and the summary table at the top of the README is rebuilt from
``DIR/summary.json`` (with the row quoting the posterior interval of tau from B/C when the
folder has the posterior step's numbers).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from escapade.config import reference_markdown
from escapade.reproduce import claims, letter_table
from escapade.reproduce.gamma_report import sensitivity_table
from escapade.reproduce.settings import VERDICT_GAS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIGDIR = ROOT / "docs" / "figures" / "reproduce"
CONFIG = ("<!-- config-reference:start -->", "<!-- config-reference:end -->")
OPENING = ("<!-- reproduce:start -->", "<!-- reproduce:end -->")
FIGURES = (
    ("fig1_emissivity", "Figure 1: pi0 emissivity per H atom vs R"),
    ("fig2_longitude_profile", "Figure 2: longitude profile vs Fermi-LAT"),
    ("fig3_anisotropy", "Figure 3: dipole anisotropy vs energy"),
    ("bc", "B/C with the letter-era and AMS-02 fits"),
    ("tau_likelihood_gas_models", "-2 ln L of the Fermi-LAT counts vs tau for each gas model"),
    ("fig2_gas_models", "longitude profile at tau = 0.85 through each gas model"),
    ("knee_spectra", "p, He and p + He with the stochastic nearby sources vs the knee data"),
    ("posterior_tau", "posterior of tau, D0 and phi from the letter-era B/C"),
)
OPTIONAL = {"posterior_tau"}
"""Figures that a results folder of an older escapade reproduce may lack: left out then."""


def _replace(text: str, markers: tuple[str, str], body: str) -> str:
    start, end = markers
    if start not in text or end not in text:
        raise SystemExit(f"README.md lacks the markers {start} ... {end}")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def _load_text(summary: dict) -> str:
    load = summary.get("load_average_1min_at_end")
    return f", load average {load:.1f} at the end" if load is not None else ""


def _posterior_text(summary: dict) -> str:
    post = summary.get("posterior") or {}
    if "parameters" not in post:
        return ""
    return (
        f"; the posterior of tau, D0 and phi from the same B/C ({post['walkers']} walkers x "
        f"{post['steps']} steps on {post['grid']}, the last figure)"
    )


def opening(results: Path) -> str:
    """The README's opening block from a reproduce output folder."""
    summary = json.loads((results / "summary.json").read_text())
    FIGDIR.mkdir(parents=True, exist_ok=True)
    figures = [
        (stem, alt)
        for stem, alt in FIGURES
        if stem not in OPTIONAL or (results / "figures" / f"{stem}.png").is_file()
    ]
    for stem, _ in figures:
        shutil.copyfile(results / "figures" / f"{stem}.png", FIGDIR / f"{stem}.png")
    cells = " ".join(
        f'<img src="docs/figures/reproduce/{stem}.png" width="49%" alt="{alt}">'
        for stem, alt in figures
    )
    best = summary["letter"].get("best_tau_longitude", {})
    wall = summary.get("wall_seconds", float("nan"))
    lines = [
        cells,
        "",
        f"`escapade reproduce --out results/` ({summary['settings']}; {wall / 60:.0f} min on "
        f"2 cores{_load_text(summary)}): D0 fitted to the letter-era B/C (HEAO-3, PAMELA, "
        "CREAM) at every tau, then "
        "the gamma rays (pi0 + inverse Compton + bremsstrahlung) against Fermi-LAT and the "
        f"anisotropy of the best fit{_posterior_text(summary)}. The letter's claims against "
        "these numbers:",
        "",
        "| the letter says | our numbers | verdict |",
        "|---|---|---|",
        *(
            f"| {claim} | {numbers} | {verdict} |"
            for claim, verdict, numbers in claims(
                summary["letter"],
                summary.get("modern"),
                summary.get("stochastic"),
                summary.get("posterior"),
            )
        ),
        "",
        *letter_table(summary["letter"]),
        "",
        "The gamma rays through each gas model (template likelihood of the Fermi-LAT counts, "
        "|b| < 5 deg, systematic fraction f profiled; docs/gamma.md):",
        "",
        *sensitivity_table(summary["letter"].get("gamma_sensitivity", [])),
        "",
        f"Lowest longitude-profile chi2 ({VERDICT_GAS} gas, free normalisation and isotropic) at "
        f"tau = {best.get('tau', float('nan')):g}. "
        "The full report, with the verdict on each of the letter's claims and the AMS-02-era "
        "repeat, is `results/report.md`; this table and the figures are regenerated by "
        "`python scripts/update_readme.py --reproduce results/`.",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reproduce", type=Path, help="output folder of escapade reproduce")
    args = ap.parse_args()
    text = _replace(README.read_text(), CONFIG, reference_markdown())
    if args.reproduce is not None:
        text = _replace(text, OPENING, opening(args.reproduce))
    README.write_text(text)


if __name__ == "__main__":
    main()

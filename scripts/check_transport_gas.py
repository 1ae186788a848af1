"""The reproduction's gamma-ray verdict with the transport on the survey gas itself.

``escapade reproduce`` fits D0 to the letter-era B/C with the preset's analytic gas and then
sees the same CR densities through every gas model. Here the transport uses the azimuthal
average of one survey gas (``--gas``, default the verdict's ``survey3d_dark``): per tau, D0
and phi are refitted to the same B/C at the reproduction's resolution and the gamma-ray
likelihood is taken through that gas. Prints one line per tau and writes a JSON file; the
numbers are quoted in docs/gamma.md ("The letter's gradient test redone"). About 90 s per
tau on one core. Usage: python scripts/check_transport_gas.py [--gas NAME] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from escapade.config import with_updates
from escapade.reproduce.evaluate import fit_bc
from escapade.reproduce.gamma import GAS_MODELS, gamma_record
from escapade.reproduce.settings import FULL, base_config

TAUS = (0.0, 0.5, 0.7, 0.85, 1.0)


def one_tau(tau: float, gas: str) -> dict:
    """D0, the B/C chi2 and the gamma-ray numbers (with the 4FGL template) at ``tau``."""
    cfg = with_updates(base_config(FULL), {"diffusion.tau": tau, **GAS_MODELS[gas]})
    res, ndof = fit_bc(cfg, "letter", (FULL.fit_nr, FULL.fit_nz))
    rec = gamma_record(res.config, FULL.nside, {gas: GAS_MODELS[gas]}).sel(
        gas_model=gas, point_sources="yes"
    )
    norms = rec.gas_norm.values
    return {
        "d0_cm2_s": res.config.diffusion.d0_cm2_s,
        "chi2_bc": float(res.chi2),
        "ndof_bc": int(ndof),
        "minus2lnl": float(rec.gas_minus2lnl),
        "systematic_fraction": float(rec.gas_systematic_fraction),
        "chi2_profile": float(rec.gas_chi2_profile),
        "norms": {str(t): float(v) for t, v in zip(rec.template.values, norms, strict=True)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gas", default="survey3d_dark", choices=sorted(GAS_MODELS))
    ap.add_argument("--out", default="transport_gas_check.json")
    args = ap.parse_args()
    out = {}
    for tau in TAUS:
        r = out[tau] = one_tau(tau, args.gas)
        print(
            f"tau {tau:g}: D0 {r['d0_cm2_s']:.3e} cm^2/s, B/C chi2 {r['chi2_bc']:.1f}/"
            f"{r['ndof_bc']}, -2 ln L {r['minus2lnl']:.1f}, f {r['systematic_fraction']:.3f}, "
            f"profile chi2 {r['chi2_profile']:.0f}",
            flush=True,
        )
        Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

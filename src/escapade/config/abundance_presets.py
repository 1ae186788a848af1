"""Source abundance presets: relative injection of every primary isotope.

A preset is a TOML table ``isotope = abundance``, relative to 1H at the injection
spectrum's reference rigidity (``source.spectrum_reference_rigidity_gv``), shipped
in ``escapade/data/abundances/``. ``ams02`` was produced by
``scripts/fit_source_abundances.py``: the abundance of each element with an AMS-02
flux (H, He, C, N, O, Ne, Na, Mg, Al, Si, S, Fe; Aguilar et al. 2021, Phys. Rep.
894, 1, and the element papers cited in escapade/data/cr) is adjusted until the
modulated model flux (phi = 0.6 GV) matches the data at 20-200 GV on the letter's
tau = 0.85 model; the isotopes of an element are injected in their solar-system
proportions (IUPAC 2013 isotopic compositions, Meija et al. 2016, Pure Appl. Chem.
88, 293). Elements without AMS-02 data are not injected (secondaries only).
The file header records the model and data it was fitted on.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

PRESETS = ("ams02",)


@cache
def preset(name: str) -> dict[str, float]:
    """The abundance table of a named preset (isotope -> abundance relative to 1H)."""
    if name not in PRESETS:
        raise ValueError(f"abundance preset {name!r} is unknown; allowed: {', '.join(PRESETS)}")
    text = resources.files("escapade.data.abundances").joinpath(f"{name}.toml").read_text("utf-8")
    return {k: float(v) for k, v in tomllib.loads(text)["abundances"].items()}

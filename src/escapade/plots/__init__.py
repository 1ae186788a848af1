"""Figures: each function takes results and returns a matplotlib Figure; ``save`` writes it.

:mod:`~escapade.plots.spectra` local spectra and ratios with data,
:mod:`~escapade.plots.fit` the figure of a fit, :mod:`~escapade.plots.gamma` emissivities
and longitude profiles, :mod:`~escapade.plots.leptons` lepton spectra.
"""

from .base import FLUX_POWER, X_LABELS, save
from .fit import fit_figure
from .spectra import local_observable

__all__ = ["FLUX_POWER", "X_LABELS", "fit_figure", "local_observable", "save"]

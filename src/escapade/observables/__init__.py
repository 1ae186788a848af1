"""Observables derived from a solution: values at the Sun, anisotropy, local fluxes."""

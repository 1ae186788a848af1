"""Observables derived from a solution: local fluxes, ratios and solar modulation."""

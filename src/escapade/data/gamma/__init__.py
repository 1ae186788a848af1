"""Gamma-ray data: Fermi-LAT maps, longitude profile and local emissivity (see each file's header / README)."""

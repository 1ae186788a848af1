"""Gamma-ray data: Fermi-LAT maps, longitude profile and local emissivity.

See each file's header and the README of the maps.
"""

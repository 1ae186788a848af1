"""Nuclear physics: cross sections, decays and the spallation network."""

"""The register of the fallen (英名录): martyrs' records in the archive store, imported, searched and exported."""

"""The register of the fallen (英名录): martyrs' records in the archive store, imported, searched and exported."""

# Where a name roll takes a register CSV, this prefix reads the store instead (see ``register.roll``). Kept here,
# free of imports, so that overlays and ceremonies can recognise it without loading the database layer.
ROLL_PREFIX = "register:"

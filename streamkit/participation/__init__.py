"""Public participation in remembrance: tributes offered on a martyr's page and messages of remembrance."""

"""Stage 1, extracts: reading one curated extract file into rows that remember their origin."""

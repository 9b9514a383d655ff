"""Stage 0, core: the registry of tables, columns and rules, reference data, CSV cells and files, paths and problems."""

"""Stage 4, publish: rendering and publishing the package (full and incremental builds) and the SQLite database."""

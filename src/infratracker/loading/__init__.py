"""Stage 5, loading: `load()` for pandas users, from a local or downloaded package or a URL."""

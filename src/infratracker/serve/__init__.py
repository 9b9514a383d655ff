"""Stage 5, serve: the read-only Datasette site, its metadata, downloads and hardening plugin."""

"""Stage 3, check: the one rule engine, the Pandera schemas it runs, and reading a package to check it."""

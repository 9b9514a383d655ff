"""Stage 2, assemble: merging every source's rows into records, derived values, removals and releases."""

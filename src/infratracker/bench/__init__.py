"""Tools: the benchmark (`infratracker bench`) and its stage-by-stage runner."""

"""Methods: the statistics published beside each value. Pure functions; no Dagster, no I/O."""

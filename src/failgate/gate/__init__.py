"""The gate: the decision against the base and its report."""

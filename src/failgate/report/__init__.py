"""The dataset's health report."""

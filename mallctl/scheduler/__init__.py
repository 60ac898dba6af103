"""Scheduled jobs: the one job registry, the run lock, run history and the bundled loop."""

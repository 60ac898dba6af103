"""`python -m mallctl` runs the same entry point as the `mallctl` console script."""

from mallctl.cli.main import main

main()

"""mallctl: a shopping mall's store operations from the terminal and from cron."""

__version__ = "0.1.0"

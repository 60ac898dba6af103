"""Use cases that span areas: a business change plus what it causes elsewhere
(notifications, bills), in the caller's one transaction."""

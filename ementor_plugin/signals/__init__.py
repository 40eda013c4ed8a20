"""Signal plumbing: receivers for the platform's events (handlers.py) and for user retirement (retirement.py)."""

"""Use cases: the only layer that commits. Each function is one unit of work."""

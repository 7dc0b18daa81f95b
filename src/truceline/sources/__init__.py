"""Sources: the registry of who reports, and one adapter per real feed format."""

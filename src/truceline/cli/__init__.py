"""The `truceline` command line."""

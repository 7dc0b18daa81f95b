"""Fusion: observations of the same event become one incident."""

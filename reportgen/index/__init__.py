"""Composite-indicator engine: pure pandas/numpy, no I/O."""

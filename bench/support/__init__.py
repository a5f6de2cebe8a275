"""Pieces the benchmark scripts share (not scripts themselves: `make bench` runs bench/*.py)."""

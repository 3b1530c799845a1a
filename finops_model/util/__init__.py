"""Utilities at the bottom of the package: project paths, YAML reading, atomic writing, tables."""

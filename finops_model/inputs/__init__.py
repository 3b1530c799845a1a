"""Inputs: the uncertain-number language, the schemas, validation, catalogs and loading.

Everything a later command relies on is checked here, once, at the boundary.
"""

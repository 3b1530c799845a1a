"""The ``finops`` command line: one module per command family, named as the commands are."""

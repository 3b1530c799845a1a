"""Settings shared by every command, page and export (plain constants, nothing imported)."""

from __future__ import annotations

#: The one default number of Monte Carlo trials of every command, page and export [trials].
#: Outputs of one run then draw from the same simulated trials of each use case.
DEFAULT_TRIALS = 10_000

"""`python -m smoke.agents [MANIFEST]`: whether the caller is an agent (exit 0, names printed) or not (exit 1).

The `wg` shim asks this with the Python that installed it, never a smoke the
caller's environment chose.
"""
import sys

from smoke.agents.identity import main

raise SystemExit(main(sys.argv[1:]))

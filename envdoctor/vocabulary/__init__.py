"""The words every layer shares: what the ML stack is, how requirements are evaluated,
how places and origins are labelled, what counts as a secret.

A neutral layer: checks, fixers, reporters, config, diff and the probe's host side all
import it, and it imports nothing of envdoctor's except `model/`.  Modules here that the
probe also sends into the target (none so far) must stay stdlib-only.
"""

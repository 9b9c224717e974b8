"""Modules the shim fixer copies into a target's site-packages (stdlib only, Python 3.8 syntax).

They are data to envdoctor: read as text and written by the executor, never
imported by envdoctor itself.
"""

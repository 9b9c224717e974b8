"""Data only: facts, findings.  No I/O here."""

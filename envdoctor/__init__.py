"""envdoctor: a doctor for Python ML/GPU environments."""

__version__ = "0.1.0"

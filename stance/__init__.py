"""stance: sentence-level classifiers for political and news rhetoric (blame, threat, denial, ...)."""

__version__ = "0.1.0"

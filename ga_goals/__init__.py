"""ga-goals: Google Analytics 4 goals as code."""

__version__ = "0.1.0"

"""qa-engine: automatic quality inspection of customer-service conversations."""

__version__ = "0.1.0"

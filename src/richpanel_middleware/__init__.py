"""Richpanel middleware: classify, route, tag and safely answer inbound customer messages."""

__version__ = "0.1.0"

"""Offline evaluation: golden sets, metrics, release gates and reports."""

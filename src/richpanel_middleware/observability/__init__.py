"""Structured logging, redaction, correlation ids and metrics."""

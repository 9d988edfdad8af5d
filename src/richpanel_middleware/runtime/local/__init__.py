"""Embedded runtime: HTTP on uvicorn, SQLite queue and stores, a worker thread pool."""

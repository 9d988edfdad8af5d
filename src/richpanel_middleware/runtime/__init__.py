"""Runtimes: adapters that give the core its ports."""

"""Prometheus metrics adapter for the embedded runtime."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram


class PrometheusMetrics:
    """Creates counters and histograms on first use, each with the label names it was first given."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._counters: dict[str, Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        self._lock = threading.Lock()

    def increment(
        self, name: str, *, labels: Mapping[str, str] | None = None, value: float = 1.0
    ) -> None:
        labels = dict(labels or {})
        with self._lock:
            counter = self._counters.get(name)
            if counter is None:
                counter = Counter(
                    name, name.replace("_", " "), sorted(labels), registry=self.registry
                )
                self._counters[name] = counter
        (counter.labels(**labels) if labels else counter).inc(value)

    def observe(self, name: str, value: float, *, labels: Mapping[str, str] | None = None) -> None:
        labels = dict(labels or {})
        with self._lock:
            histogram = self._histograms.get(name)
            if histogram is None:
                histogram = Histogram(
                    name, name.replace("_", " "), sorted(labels), registry=self.registry
                )
                self._histograms[name] = histogram
        (histogram.labels(**labels) if labels else histogram).observe(value)

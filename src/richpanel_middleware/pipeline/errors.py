"""The first split of every adapter's errors: can a later attempt succeed unchanged?

    PipelineError
    ├── RetryableError       rate limits, 5xx, timeouts: release the event and try again later
    ├── PermanentError       bad request, not found: dead-letter the event
    └── CredentialsError     the vendor rejected our credentials: every event would fail the
                             same way, so retry later (without dead-lettering) and alert

Adapters raise their own subclasses (for example the Richpanel client's error tree), so
the worker can act on the split without importing any adapter.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A port call failed."""


class RetryableError(PipelineError):
    """A later attempt may succeed without any change on our side."""


class PermanentError(PipelineError):
    """Retrying will not help; the event needs a person or a configuration fix."""


class CredentialsError(PipelineError):
    """A vendor rejected the configured credentials (for example Richpanel's 401).

    The fault is in the deployment, not in the event, so events wait for the fix instead of
    filling the dead-letter table.
    """

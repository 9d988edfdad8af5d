"""Policy: the only place that turns a classifier's proposal into permission to act."""

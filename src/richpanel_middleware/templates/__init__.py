"""Template catalog, brand constants and the fail-closed renderer."""

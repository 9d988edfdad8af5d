"""Pure domain model: intents, tiers, schemas and the tag scheme. No I/O."""

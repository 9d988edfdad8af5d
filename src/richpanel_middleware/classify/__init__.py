"""Classification: deterministic Tier 0 rules, the local statistical model, language detection."""

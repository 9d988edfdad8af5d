"""Richpanel helpdesk: the conversation model, the HTTP client and the action executor."""

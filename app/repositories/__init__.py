"""Async data access. Every query is scoped to one tenant; repositories flush, never commit."""

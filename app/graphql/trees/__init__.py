"""Linked service jobs: the dependency trees, read whole in one request."""

"""Facility custom service connections: which services a facility offers."""

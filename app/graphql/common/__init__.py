"""Pieces every area of the schema shares: scalars, errors, paging, articles."""

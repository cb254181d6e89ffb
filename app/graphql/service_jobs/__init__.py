"""Service jobs: instances of custom services, and their status machine."""

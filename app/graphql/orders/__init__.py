"""Orders whose nested custom services become one tree of jobs."""

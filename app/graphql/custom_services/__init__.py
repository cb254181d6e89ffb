"""Custom services: the blueprints of service jobs."""

"""Storage: SQLModel tables and the engine and session factories."""

"""Webhooks: subscriptions to the outbox's events, delivered by POST to a callback url."""

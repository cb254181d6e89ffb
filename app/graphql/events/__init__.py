"""The outbox for integrators, and live subscriptions to jobs and trees."""

"""Appointments, fulfilment data, document uploads and cancellation reason codes."""

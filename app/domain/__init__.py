"""Pure rules of the service-job domain: no Strawberry, no SQL, no I/O."""

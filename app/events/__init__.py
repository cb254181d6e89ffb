"""Changes to service jobs and trees: the outbox written with each change, and the hub that
brings committed changes to this process's subscribers."""

"""The read path: where each field's value comes from (sources), and the planned, compiled
execution of queries that uses those declarations (see app/graphql/fast_path.py)."""

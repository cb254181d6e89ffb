"""The request pipeline after the HTTP layer, one module per stage, in the order they run:

1. `auth`: no caller, no parsing (AuthenticationGate).
2. `caches`: the token limit (graphql-core's lexer stops at it), then parsing and validation,
   each cached by query text.
3. `limits`: the depth and the aliases of each operation (with validation, cached with it).
4. `cost`: every input text within its bound, the estimated cost within the limit, and the
   columns the tree reads need.
5. `fair_use`: the cost charged to the caller's budget (RATE_LIMITED when it is spent).
6. `persisted`: an automatic persisted query remembered once it passed every check.
7. execution (app/graphql/fast_path.py), then `errors`: stable codes, masked internals.

`state.Pipeline` holds what the stages share per schema (their caches, the pricing, the column
planner) and makes the Strawberry extensions that run them. `lane.ReadLane` runs a query whose
every check has passed before straight on graphql-core's executor, through the same stages.
"""

"""The GraphQL transport: types, inputs and thin resolvers over `app.services`."""

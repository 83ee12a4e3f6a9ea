"""Pages of the crm app, one module per topic."""

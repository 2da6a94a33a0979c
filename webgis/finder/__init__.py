"""The public service finder: the resident's question, the search, schema.org data."""

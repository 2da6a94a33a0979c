"""Blueprints: thin views that parse the request, call the core and render."""

"""The web face: blueprints, forms, security set-up and folium maps."""

"""Cities, their units and service areas.

Models, boundary and assignment imports, and the queries
(:mod:`webgis.geography.cities`).
"""

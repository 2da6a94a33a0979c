"""Features of the thematic layers.

The one write path (:mod:`webgis.features.store`), validation, form values,
moderation, vocabularies and exports.
"""

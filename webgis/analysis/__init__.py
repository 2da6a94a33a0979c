"""Coverage analysis for planners.

Methods on GeoDataFrames, inputs from the database, classes for choropleths and PNG
maps for reports.
"""

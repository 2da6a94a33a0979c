"""The small core every part builds on.

Configuration, extensions, errors, text, the audit log, the layer registry and
transactions.
"""

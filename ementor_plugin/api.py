"""The Python API of eMentor: the only door into the plugin for the XBlock, REST views, tasks and handlers.

Returns ``data`` objects and raises ``errors`` types; never hands out models or querysets (OEP-49).
"""

"""Built-in platform adapters, each a plugin announced through the ``mmtkit`` entry points.

The core never imports these modules; it finds them through the plugin manager.
"""

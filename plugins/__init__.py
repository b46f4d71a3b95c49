"""Built-in plugins (compliance checks, signals, MMT features), announced through the
``mmtkit`` entry points exactly like third-party plugins."""

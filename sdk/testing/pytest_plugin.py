"""pytest plugin for mmtkit users (work in progress)."""

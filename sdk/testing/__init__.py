"""Testing tools for mmtkit users and plugin authors: the adapter conformance kit and the
pytest plugin (sandbox fixtures, scrubbed cassettes)."""

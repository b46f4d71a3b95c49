"""Built-in signal plugins: keyword signals (``payment = true``...) and the TikTok tracking id
found in a first customer message. Both implement ``mmt_extract_signals`` and return
:class:`mmtkit.signals.Signal` values only -- names, flags and ids, never message text."""

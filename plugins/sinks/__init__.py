"""Built-in conversion-event sinks: the TikTok Events API and Meta's Conversions API for
Business Messaging. Each is a plugin that registers a factory through
``mmt_register_event_sinks``; a sink is sans-I/O (see :class:`mmtkit.emitter.EventSink`)."""

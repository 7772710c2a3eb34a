"""Member messages: the inbox, outbound channels behind one port, consent-aware sending, templates and
the triggers that enqueue messages."""

"""The built-in rule kinds; importing this package registers them (see qa_engine.rules.registry)."""

from qa_engine.rules.kinds import conditional, pattern, phrase, pii, reply_language, response_time, sequence

__all__ = ["conditional", "pattern", "phrase", "pii", "reply_language", "response_time", "sequence"]

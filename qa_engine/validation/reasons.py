"""Every reason a record can be quarantined for, in one place: the codes are stable (scripts count them) and
docs/scoring.md lists them from this dict (tests/test_docs_links.py keeps the two equal)."""

from __future__ import annotations

REASONS: dict[str, str] = {
    # the bytes and syntax of one line, row or array item
    "invalid_encoding": "the line or row holds bytes that are not UTF-8 text (binary junk, NUL bytes)",
    "malformed_json": "the line is not valid JSON",
    "not_an_object": "the JSON value is not an object ({...}); a ticket must be one",
    "malformed_row": "the CSV row has more fields than the header",
    # the shape of a ticket
    "missing_turns": "the ticket has no `turns` field",
    "turns_not_a_list": "`turns` is not a list",
    "empty_turns": "`turns` is an empty list",
    "turn_not_an_object": "an entry of `turns` is not an object",
    "wrong_type": "a field has the wrong JSON type (every field but turns, csat, escalated and metadata is text)",
    "missing_field": "a required field (ticket_id, turn_index, speaker, text) is missing or empty; a turn with no text is quarantined alone when another turn of its ticket has text",
    "invalid_turn_index": "turn_index is not a whole number",
    "duplicate_turn_index": "two rows of one ticket have the same turn_index",
    "duplicate_ticket_id": "the ticket id was already read earlier in this run; the first one is kept",
    # the values
    "unknown_speaker": "speaker is not one of customer, agent, bot, system",
    "empty_text": "text is empty or only whitespace; the turn is quarantined alone when another turn of its ticket has text and nothing else is wrong",
    "text_too_long": "text is longer than the run's limit (max_text_chars)",
    "invalid_timestamp": "ts or created_at is not an ISO 8601 timestamp",
    "timestamp_backwards": "a turn's ts is earlier than an earlier turn's ts",
    "ticket_fields_disagree": "rows of one ticket give different values for a ticket-level column",
    "invalid_channel": "channel is not one of chat, email, phone, social, other",
    "invalid_language": "language is not a two-letter ISO 639-1 code (a region suffix like zh-CN is fine)",
    "invalid_csat": "csat is not a whole number from 1 to 5",
    "invalid_escalated": "escalated is not true or false",
    "invalid_metadata": "metadata is not a JSON object",
    # pulled from a helpdesk (`qa pull`)
    "no_usable_turn": "the pulled ticket has no public comment with text and a known author",
    "missing_author": "a pulled comment or message has no author (or one the helpdesk does not know); the rest of its ticket is scored",
    "ticket_unavailable": "the helpdesk answered 404 or 410 for a listed ticket's comments or messages (deleted or merged since it was listed); the rest of the source is pulled",
}

"""Which reviews count for a ticket as it is stored now: those made on the same agent's conversation.

Reviews and disputes are keyed by `ticket_id`, and a helpdesk can hand an id out again: a re-import of `T-1` with
another agent replaces the scored rows but never the reviews (human decisions are kept through every re-score). A
review records the ticket's `agent_id` and `content_hash` it was made on; when the stored ticket's agent differs,
that review is another person's: it is not shown with the ticket, is not the ticket's human verdict in the queue or
calibration, and cannot be disputed. Reviews from stores before this was recorded (`content_hash` null) count as
before. The review numbering (`version`) stays per ticket id over every review, hidden ones too, so optimistic
versioning keeps working.
"""

from __future__ import annotations

# a SQL condition over `r` (reviews) joined with `t` (tickets): the review counts for the ticket as stored now
CURRENT_REVIEW = "(r.content_hash IS NULL OR r.agent_id IS NOT DISTINCT FROM t.agent_id)"
# ... and was made on other content than the stored one (same agent: the conversation was re-imported, changed)
CONTENT_CHANGED = "(r.content_hash IS NOT NULL AND r.content_hash <> coalesce(t.content_hash, ''))"

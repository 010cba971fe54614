"""Who may use the review app: users and their argon2id passwords (`users`), login sessions with their CSRF tokens
(`sessions`), login throttling (`throttle`) and user administration shared by `qa users` and the app (`admin`).

Kept apart from `qa_engine.review`, which holds what signed-in people do (the queue, reviews, disputes, calibration,
coaching); both are plain functions over the store, with no HTTP in them, served by `qa_engine.web`.
"""

"""Human review of scored tickets: scope, the queue, reviews and disputes, calibration. Users, sessions and logins
are `qa_engine.auth`'s.

Plain functions over the store, with no HTTP in them: `qa_engine.web` serves them as pages and a JSON API.
"""

"""Human review of scored tickets: users and sessions, scope, the queue, reviews and disputes, calibration.

Plain functions over the store, with no HTTP in them: `qa_engine.web` serves them as pages and a JSON API.
"""

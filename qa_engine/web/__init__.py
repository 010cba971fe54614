"""The review app (`qa serve`): server-rendered pages for QA leads, coaches and agents, and a JSON API under /api.

`create_app(db)` in `app.py` builds it; `qa_engine.cli.serve` holds `qa serve`, `qa_engine.cli.users` `qa users`. The review logic itself
lives in `qa_engine.review`, with no HTTP in it.
"""

"""The review app (`qa serve`): server-rendered pages for QA leads, coaches and agents, and a JSON API under /api.

`create_app(db)` in `app.py` builds it; `commands.py` holds `qa serve` and `qa users add`. The review logic itself
lives in `qa_engine.review`, with no HTTP in it.
"""

"""Prefect flows: thin orchestration over qa_engine functions."""

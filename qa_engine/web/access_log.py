"""uvicorn's access log without payment data: a card number typed into the search box (`GET /?q=4111...`) would
otherwise be written to the server's log with every request line.

`qa serve` hands uvicorn its default logging configuration with `PaymentMask` on the access handler; each worker
process configures its logging from it.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from qa_engine.nlp.redact import mask_payment_in_path

_PATH = 2  # uvicorn's access record args: (client address, method, path with query, HTTP version, status)


class PaymentMask(logging.Filter):
    """Masks payment data in the request path of each access record (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH and isinstance(args[_PATH], str):
            masked = mask_payment_in_path(args[_PATH])
            if masked != args[_PATH]:
                record.args = (*args[:_PATH], masked, *args[_PATH + 1 :])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with `PaymentMask` on its access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["payment_mask"] = {"()": f"{__name__}.PaymentMask"}
    config["handlers"]["access"]["filters"] = ["payment_mask"]
    return config

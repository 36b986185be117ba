"""A local server answering AWS JSON-protocol calls (``X-Amz-Target: Service.Operation``: CloudWatch Logs,
SageMaker, Cost Explorer) from recorded answers, for what moto never answers: a ``NextToken`` that comes
back. Real boto3 clients reach it through ``endpoint_url``; each operation answers ``answer(body)`` (a
JSON body, or a ``Response``: an error such as ``aws_error(400, "ValidationException", ...)``)."""

from __future__ import annotations

import json
from typing import Any, Callable

from .base import FakeServer, Request, Response

AMZ_JSON = "application/x-amz-json-1.1"


class AwsJsonServer(FakeServer):
    def __init__(self, answers: dict[str, Callable[[dict], dict]], **kwargs: Any):
        super().__init__(**kwargs)
        self.answers = answers

    def handle(self, req: Request) -> Response:
        operation = (req.header("X-Amz-Target") or "").rpartition(".")[2]
        answer = self.answers.get(operation)
        if answer is None:
            return Response(400, {"__type": "UnknownOperationException", "message": operation},
                            content_type=AMZ_JSON)
        answered = answer(json.loads(req.raw_body or b"{}"))
        if isinstance(answered, Response):  # an error, as AWS sends one: {"__type": ..., "message": ...}
            return answered
        return Response(200, answered, content_type=AMZ_JSON)

    def calls(self, operation: str) -> list[dict]:
        return [json.loads(r.raw_body or b"{}") for r in self.requests
                if (r.header("X-Amz-Target") or "").endswith(f".{operation}")]


def aws_error(status: int, code: str, message: str) -> Response:
    return Response(status, {"__type": code, "message": message}, content_type=AMZ_JSON)

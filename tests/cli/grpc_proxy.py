"""A real gRPC proxy on 127.0.0.1 in front of a sandbox server, for races and lost answers.

Every call is forwarded as bytes; ``on_call(method, request, forward)`` decides what happens
around the forward (hold the answer, send the request twice...). ``method`` is the full gRPC
method name (``/google.analytics.admin.v1beta.AnalyticsAdminService/CreateKeyEvent``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

Forward = Callable[[bytes], bytes]
OnCall = Callable[[str, bytes, Forward], bytes]


def _pass(method: str, request: bytes, forward: Forward) -> bytes:
    return forward(request)


class GrpcProxy:
    def __init__(self, upstream: str, on_call: OnCall = _pass) -> None:
        self.on_call = on_call
        self._channel = grpc.insecure_channel(upstream)
        self._server = grpc.server(ThreadPoolExecutor(max_workers=8, thread_name_prefix="proxy"))
        self._server.add_generic_rpc_handlers([_Handler(self)])
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"

    def __enter__(self) -> GrpcProxy:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None)
        self._channel.close()

    def handle(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        def forward(body: bytes) -> bytes:
            return self._channel.unary_unary(method)(body, timeout=30)

        try:
            return self.on_call(method, request, forward)
        except grpc.RpcError as error:
            context.abort(error.code(), error.details() or "")
            raise  # not reached: abort raises


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, proxy: GrpcProxy) -> None:
        self.proxy = proxy

    def service(self, handler_call_details: Any) -> Any:
        method = handler_call_details.method
        return grpc.unary_unary_rpc_method_handler(lambda request, context: self.proxy.handle(method, request, context))

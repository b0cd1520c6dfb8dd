"""The demo order service: Python's standard library, no mesh code. It
serves POST /orders and charges the payment service at http://payment/charges,
which HTTP_PROXY sends through its portico-mesh sidecar. Like any service in
a mesh, it passes on the trace header and the tester header it received.

Environment: ORDER_PORT (127.0.0.1), INSTANCE_ID, HTTP_PROXY.
"""
import json
import os
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INSTANCE = os.environ.get("INSTANCE_ID", "order-1")
PASS_ON = ("X-Amzn-Trace-Id", "X-Test-User")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's
    # algorithm holds the body until the peer's delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        req = urllib.request.Request("http://payment/charges", data=b'{"amount": 1250}', method="POST",
                                     headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
        for name in PASS_ON:
            if self.headers.get(name):
                req.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # HTTP_PROXY: the sidecar
                status, payment = resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            status, payment = 502, {"status": e.code, "meshError": e.headers.get("X-Portico-Mesh-Error"), "body": e.read().decode(errors="replace")}
        body = json.dumps({"order": INSTANCE, "caller": self.headers.get("X-Portico-Caller"), "payment": payment}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["ORDER_PORT"])), Handler)
    print(json.dumps({"msg": "order service listening", "port": server.server_address[1]}), flush=True)
    server.serve_forever()

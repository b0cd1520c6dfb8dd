"""The demo Lambda function: Python with no mesh code and no dependencies.
It calls other services through the portico-mesh extension on localhost,
passing on the invocation's trace header, and reports what answered.

Event: {"service": "inventory", "path": "/items/1", "calls": 10}
"""
import json
import os
import urllib.error
import urllib.request

MESH = os.environ.get("MESH_URL", "http://localhost:9911")
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(service, path):
    req = urllib.request.Request(MESH + "/" + service + path)
    trace = os.environ.get("_X_AMZN_TRACE_ID")
    if trace:
        req.add_header("X-Amzn-Trace-Id", trace)
    try:
        with DIRECT.open(req, timeout=10) as resp:
            return {"status": resp.status, "body": json.loads(resp.read() or b"null")}
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            body = json.loads(body)
        except ValueError:
            body = body.decode(errors="replace")
        return {"status": e.code, "body": body, "meshError": e.headers.get("X-Portico-Mesh-Error")}


def handle(event, context):
    event = event or {}
    service = event.get("service", "inventory")
    path = event.get("path", "/")
    return {"results": [call(service, path) for _ in range(int(event.get("calls", 1)))]}

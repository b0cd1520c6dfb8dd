"""Does the MiniStack on sys.path substitute $context.authorizer.* in gateway
responses, as API Gateway does?

Builds a REST API in MiniStack's own in-process control plane (no server,
no Lambda: the authorizer's answer is stubbed to a Deny whose context
carries "message"), sends one request through its data plane, and prints
what the client gets as JSON: {"version", "status", "body"}. Portico's
tests run it against the installed package (upstream) and against the
patched copy emulator.sh runs (localstack/ministack/patch.sh).
"""

import asyncio
import importlib.metadata
import json

from ministack.core.responses import request_scope
from ministack.services import apigateway_v1 as gw

ACCOUNT, REGION = "000000000000", "us-east-1"
TEMPLATE = '{"message":"$context.authorizer.message"}'


def call(method, path, body=None):
    status, _, out = asyncio.run(gw.handle_request(method, path, {}, json.dumps(body or {}).encode(), {}))
    if status >= 300:
        raise SystemExit(f"{method} {path}: {status} {out!r}")
    return json.loads(out) if out else {}


async def deny(authorizer, event, account_id, region):
    return {"body": {"principalId": "user-1",
                     "policyDocument": {"Version": "2012-10-17", "Statement": [
                         {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": event["methodArn"]}]},
                     "context": {"message": "Token expired"}}}


def main():
    gw._invoke_authorizer_lambda = deny
    with request_scope(ACCOUNT, REGION):
        api = call("POST", "/restapis", {"name": "probe"})["id"]
        root = next(r["id"] for r in call("GET", f"/restapis/{api}/resources")["item"] if r["path"] == "/")
        fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:probe"
        uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}/invocations"
        auth = call("POST", f"/restapis/{api}/authorizers", {
            "name": "probe", "type": "REQUEST", "authorizerUri": uri,
            "identitySource": "method.request.header.Authorization", "authorizerResultTtlInSeconds": 0})["id"]
        call("PUT", f"/restapis/{api}/resources/{root}/methods/GET", {"authorizationType": "CUSTOM", "authorizerId": auth})
        call("PUT", f"/restapis/{api}/resources/{root}/methods/GET/integration",
             {"type": "AWS_PROXY", "httpMethod": "POST", "uri": uri})
        call("PUT", f"/restapis/{api}/gatewayresponses/ACCESS_DENIED",
             {"statusCode": "401", "responseTemplates": {"application/json": TEMPLATE}})
        call("POST", f"/restapis/{api}/deployments", {"stageName": "v1"})
    status, _, body = asyncio.run(gw.handle_execute(api, "v1", "GET", "/", {"Authorization": "Bearer x"}, b"", {}))
    print(json.dumps({"version": importlib.metadata.version("ministack"), "status": status,
                      "body": body.decode() if isinstance(body, bytes) else body}))


if __name__ == "__main__":
    main()

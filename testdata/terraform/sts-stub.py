#!/usr/bin/env python3
"""A stand-in for AWS STS on 127.0.0.1, so that `data "aws_caller_identity"`
can be read while planning offline. It answers every request with the
GetCallerIdentity response of a fixed caller (the shape of
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
Usage: sts-stub.py PORT ACCOUNT_ID  (regenerate.sh starts and stops it)."""
import http.server
import sys

PORT = int(sys.argv[1])
ACCOUNT = sys.argv[2]
BODY = f"""<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::{ACCOUNT}:user/terraform</Arn>
    <UserId>AIDAEXAMPLEEXAMPLE000</UserId>
    <Account>{ACCOUNT}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
""".encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

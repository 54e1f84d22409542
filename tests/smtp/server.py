"""A small SMTP server for renewd's email tests (aiosmtpd on 127.0.0.1).

Prints "READY <port>" on stdout once it listens, then serves until killed.
Each accepted message is written to --maildir as <n>.eml (written under a temp
name, then renamed, so a reader never sees half a message).

  --port N            port to bind (default 0: any free port)
  --maildir DIR       where accepted messages go
  --tls-cert/--tls-key PEM files; with --starttls offer STARTTLS (required before
                      AUTH and MAIL), with --implicit-tls speak TLS from the first byte
  --user/--password   require AUTH (PLAIN or LOGIN) with these credentials
  --fail-first N      answer "451" to the DATA of the first N messages
  --reject            answer "550 relay denied" to every recipient
"""

import argparse
import asyncio
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

# AUTH without TLS is on purpose in some tests; aiosmtpd's deprecation notes are noise.
warnings.simplefilter("ignore")
logging.getLogger("mail.log").setLevel(logging.CRITICAL)


class Handler:
    def __init__(self, args):
        self.args = args
        self.seen = 0
        self.saved = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.reject:
            return "550 5.7.1 Relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen <= self.args.fail_first:
            return "451 4.3.0 Temporary local problem, try again later"
        self.saved += 1
        path = os.path.join(self.args.maildir, "%04d.eml" % self.saved)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, path)
        return "250 2.0.0 Accepted"


def authenticator(args):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            auth_data is not None
            and getattr(auth_data, "login", None) == args.user.encode()
            and getattr(auth_data, "password", None) == args.password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return check


def tls_context(args):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    return ctx


async def main(args):
    handler = Handler(args)
    ctx = tls_context(args) if args.tls_cert else None
    kwargs = {}
    if args.user:
        kwargs.update(authenticator=authenticator(args), auth_require_tls=args.starttls, auth_required=True)
    if args.starttls:
        kwargs.update(tls_context=ctx, require_starttls=True)

    def factory():
        return SMTP(handler, hostname="renewd-test", **kwargs)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory, host="127.0.0.1", port=args.port, ssl=ctx if args.implicit_tls else None, reuse_address=True
    )
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--maildir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--reject", action="store_true")
    try:
        asyncio.run(main(p.parse_args()))
    except KeyboardInterrupt:
        sys.exit(0)

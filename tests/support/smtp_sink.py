"""A loopback SMTP server for the tests (Debian's python3-aiosmtpd).

Usage: smtp_sink.py HOST PORT DIR

Every message accepted is written to DIR as NNNN.json: the envelope (sender, recipients), the
headers the tests look at, and each MIME leaf part decoded (content type, disposition, file
name, text), so the Rust side needs no MIME parser. Files appear atomically (written under a
temporary name, then renamed). DIR/ready appears once the port is bound. The server runs until
it is killed.
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    """aiosmtpd handler: decode and store each message."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                parts.append({"content_type": str(part.get("Content-Type", "")), "multipart": True})
                continue
            content = part.get_content()
            if isinstance(content, bytes):
                content = content.decode("utf-8", errors="replace")
            parts.append(
                {
                    "content_type": str(part.get("Content-Type", "")),
                    "disposition": str(part.get("Content-Disposition", "")),
                    "filename": part.get_filename(),
                    "text": content,
                    "multipart": False,
                }
            )
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "parts": parts,
        }
        self.count += 1
        name = os.path.join(self.directory, "%04d.json" % self.count)
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK"


async def main(host, port, directory):
    loop = asyncio.get_running_loop()
    handler = Sink(directory)
    server = await loop.create_server(lambda: SMTP(handler), host, port)
    with open(os.path.join(directory, "ready"), "w") as f:
        f.write("%s:%d\n" % (host, port))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))

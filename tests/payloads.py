"""Hostile text and the check that none of it became markup on a page.

Every payload that would create an element or an attribute carries ``data-pwn``, so
one parse of a page finds any that got through; ``${…}`` and backticks only matter
inside scripts, where the browser test listens for dialogs instead.
"""

from __future__ import annotations

from html.parser import HTMLParser

MARK = "data-pwn"
#: Short enough for a one-line text field (300 characters).
PAYLOADS = (
    '<script data-pwn>alert("pwn")</script>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/" data-pwn>',
    '<img src=x onerror="alert(1)" data-pwn>',
    '<svg onload="alert(1)" data-pwn></svg>',
    "</script><b data-pwn>script</b><script>",
    '" data-pwn="1" x="',
    "' data-pwn='1' x='",
    "${alert(1)}`-alert(1)-`",
    "javascript:alert(1)",
    "</textarea></title></style><b data-pwn>raw</b>",
    "--><b data-pwn>comment</b><!--",
    '<a href="javascript:alert(1)" data-pwn>link</a>',
)
#: For fields with a format: a URL and an e-mail address that pass their checks (an
#: address may hold an apostrophe and "=", never "<" or a double quote).
URL_PAYLOAD = 'https://evil.example/"><b/data-pwn>'
EMAIL_PAYLOAD = "x'data-pwn='1'@evil.example"
#: One megabyte: every text field refuses it.
HUGE = "x" * 1_000_000

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


class _Injections(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        for name, value in attrs:
            if name == MARK or name.startswith(MARK):
                self.found.append(f"<{tag} {name}>")
            elif name in _URL_ATTRIBUTES and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif tag == "meta" and name == "http-equiv" and value == "refresh":
                self.found.append("<meta http-equiv=refresh>")


def injections(html: str) -> list[str]:
    """Elements and attributes on the page that came from a payload."""
    parser = _Injections()
    parser.feed(html)
    parser.close()
    return parser.found

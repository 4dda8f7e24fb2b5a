"""The hardened parser's limits, and its per-thread parser reused safely."""

from __future__ import annotations

import threading

import pytest

from stsdesk.core.errors import XmlInputError
from stsdesk.core.xmlparse import DEFAULT_LIMITS, XmlLimits, parse_xml


def _nested(levels: int, leaf: str = "") -> bytes:
    return ("<a>" * levels + leaf + "</a>" * levels).encode()


def test_a_document_at_the_depth_limit_is_read():
    root = parse_xml(_nested(DEFAULT_LIMITS.max_depth))
    assert len(list(root.iter("a"))) == DEFAULT_LIMITS.max_depth


def test_one_level_beyond_the_depth_limit_is_refused():
    with pytest.raises(XmlInputError, match="nested 65 levels deep; at most 64"):
        parse_xml(_nested(DEFAULT_LIMITS.max_depth + 1))


@pytest.mark.parametrize("leaf", ["text", "<!-- deep -->", "<?pi deep?>"])
def test_only_elements_count_as_levels(leaf):
    root = parse_xml(_nested(DEFAULT_LIMITS.max_depth, leaf))
    assert len(list(root.iter("a"))) == DEFAULT_LIMITS.max_depth


def test_deep_nesting_after_a_shallow_branch_is_found():
    body = b"<r><x/>" + _nested(DEFAULT_LIMITS.max_depth) + b"</r>"
    with pytest.raises(XmlInputError, match="nested"):
        parse_xml(body)


def test_a_tighter_limit_is_honoured_beside_the_default():
    limits = XmlLimits(max_depth=3, max_attribute_bytes=10)
    with pytest.raises(XmlInputError, match="nested 4 levels deep; at most 3"):
        parse_xml(_nested(4), limits)
    parse_xml(_nested(4))  # the default limits still hold for the same thread
    with pytest.raises(XmlInputError, match="attribute value"):
        parse_xml(b'<a b="' + b"x" * 11 + b'"/>', limits)
    parse_xml(b'<a b="' + b"x" * 10 + b'"/>', limits)


def test_an_attribute_is_measured_in_characters():
    limit = DEFAULT_LIMITS.max_attribute_bytes
    parse_xml(f'<a b="{"é" * limit}"/>'.encode())
    with pytest.raises(XmlInputError, match="attribute value in the message is too long"):
        parse_xml(f'<r><a b="{"é" * (limit + 1)}"/></r>'.encode())


@pytest.mark.parametrize("encoding", ["UTF-8", "utf-8", "UTF-16", "ISO-8859-1"])
def test_an_attribute_over_the_limit_is_refused_in_any_encoding(encoding):
    limits = XmlLimits(max_attribute_bytes=10)
    for value, refused in (("é" * 10, False), ("é" * 11, True)):
        document = f'<?xml version="1.0" encoding="{encoding}"?><r><a b="{value}"/></r>'
        data = document.encode(encoding)
        if refused:
            with pytest.raises(XmlInputError, match="attribute value in the message is too long"):
                parse_xml(data, limits)
        else:
            assert parse_xml(data, limits).find("a").get("b") == value


def test_an_attribute_over_the_limit_is_refused_in_utf_16_with_only_a_byte_order_mark():
    # lxml reports such a document as UTF-8 (nothing is declared), so the check goes by its
    # size in bytes, which must still be no smaller than any attribute's length in characters.
    limits = XmlLimits(max_attribute_bytes=10)
    read = parse_xml(f'<r><a b="{"é" * 4}"/></r>'.encode("utf-16"), limits)
    assert read.getroottree().docinfo.encoding == "UTF-8"
    with pytest.raises(XmlInputError, match="attribute value in the message is too long"):
        parse_xml(f'<r><a b="{"é" * 11}"/></r>'.encode("utf-16"), limits)


def test_a_long_namespace_uri_is_not_an_attribute():
    uri = "urn:" + "x" * (DEFAULT_LIMITS.max_attribute_bytes + 10)
    root = parse_xml(f'<a xmlns="{uri}"/>'.encode())
    assert root.tag == f"{{{uri}}}a"


def test_the_same_thread_parses_well_after_a_refused_entity():
    with pytest.raises(XmlInputError):
        parse_xml(b'<!DOCTYPE e [<!ENTITY % p SYSTEM "file:///etc/passwd">%p;]><e/>')
    with pytest.raises(XmlInputError, match="well-formed"):
        parse_xml(b"<a><b></a>")
    root = parse_xml(b"<a><b>fine</b></a>")
    assert root.findtext("b") == "fine"


def test_undeclared_entity_is_a_parse_error():
    with pytest.raises(XmlInputError, match="well-formed"):
        parse_xml(b"<a>&ext;</a>")


def test_threads_parse_at_once_each_getting_its_own_document():
    failures: list[str] = []
    start = threading.Barrier(4)

    def work(n: int) -> None:
        start.wait()
        for i in range(300):
            body = f'<m n="{n}"><i>{i}</i></m>'.encode()
            root = parse_xml(body)
            if root.get("n") != str(n) or root.findtext("i") != str(i):
                failures.append(f"thread {n} read {root.get('n')}/{root.findtext('i')}")
            if i % 50 == 0:
                try:
                    parse_xml(b"<broken>")
                except XmlInputError:
                    pass
                else:
                    failures.append("a broken document was accepted")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

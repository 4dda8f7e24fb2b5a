"""Skeletons copied per token: every copy is a tree of its own, in every thread."""

from __future__ import annotations

import threading

from lxml import etree

from stsdesk.core.xmlskeletons import fresh_copy


def _skeleton() -> etree._Element:
    root = etree.Element("{urn:example}Root", nsmap={"ex": "urn:example"})
    etree.SubElement(root, "{urn:example}Value")
    return root


def test_a_filled_copy_leaves_the_next_copy_empty():
    builds = []

    def build() -> etree._Element:
        builds.append(1)
        return _skeleton()

    first = fresh_copy("test:root", build)
    first[0].text = "secret of the first token"
    second = fresh_copy("test:root", build)
    assert second[0].text is None
    assert first[0].text == "secret of the first token"
    assert second.getroottree() is not first.getroottree()
    assert len(builds) == 1  # built once, copied since


def test_each_thread_builds_its_own_skeleton():
    skeletons: list[etree._Element] = []

    def build() -> etree._Element:
        skeleton = _skeleton()
        skeletons.append(skeleton)
        return skeleton

    fresh_copy("test:per-thread", build)
    worker = threading.Thread(target=fresh_copy, args=("test:per-thread", build))
    worker.start()
    worker.join()
    assert len(skeletons) == 2

#!/usr/bin/env python3
"""Checks an mdBook build: every chapter of SUMMARY.md has a page, no include was left
unexpanded, and every relative href/src in the built HTML points to an existing file and,
for links to pages, an existing anchor.

Usage: check_site.py BUILD_DIR SUMMARY_MD
"""
import html.parser
import os
import re
import sys
import urllib.parse


class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if value and (name == "src" or (name == "href" and tag != "base")):
                self.refs.append((tag, value))


def parse(path):
    p = Refs()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p.feed(text)
    return text, p


def main():
    build, summary = sys.argv[1], sys.argv[2]
    errors = []
    with open(summary, encoding="utf-8") as f:
        chapters = re.findall(r"\]\(([^)]+\.md)\)", f.read())
    if not chapters:
        errors.append(f"{summary}: no chapters found")
    for ch in chapters:
        page = os.path.join(build, ch[:-3] + ".html")
        if not os.path.isfile(page):
            errors.append(f"chapter {ch}: no page {page}")

    pages = {}
    for dirpath, _, files in os.walk(build):
        for name in files:
            if name.endswith(".html"):
                path = os.path.normpath(os.path.join(dirpath, name))
                pages[path] = parse(path)

    links = 0
    for path, (text, p) in sorted(pages.items()):
        rel = os.path.relpath(path, build)
        # An include that failed is left in the page as written (escaped ones, shown as
        # code, are preceded by `<code>`).
        for m in re.finditer(r"\{\{#(include|rustdoc_include|playground)", text):
            if not text[: m.start()].endswith("<code>"):
                errors.append(f"{rel}: an mdBook directive was left unexpanded")
                break
        # No empty output boxes: a code block with nothing in it.
        if re.search(r"<pre><code[^>]*>\s*</code></pre>", text):
            errors.append(f"{rel}: an empty output box (a code block with nothing in it)")
        for tag, ref in p.refs:
            url = urllib.parse.urlsplit(ref)
            if url.scheme or ref.startswith("//"):
                continue  # external (https:, mailto:, data:, javascript:)
            links += 1
            if not url.path:
                target = path
            else:
                target = os.path.normpath(
                    os.path.join(os.path.dirname(path), urllib.parse.unquote(url.path))
                )
                if os.path.isdir(target):
                    target = os.path.join(target, "index.html")
                if not os.path.isfile(target):
                    errors.append(f"{rel}: <{tag}> {ref} -> missing {os.path.relpath(target, build)}")
                    continue
            if url.fragment and target in pages and url.fragment not in pages[target][1].ids:
                errors.append(f"{rel}: <{tag}> {ref} -> no anchor #{url.fragment}")

    for e in errors:
        print(f"check_site: {e}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"check_site: {len(chapters)} chapters, {len(pages)} pages, {links} relative links OK")


if __name__ == "__main__":
    main()

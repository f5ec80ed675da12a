"""Parse feeds with Debian's python3-feedparser and print one JSON line each.

Usage: feedparser_check.py URL...

RSS and Atom go through feedparser.parse. Debian 12's feedparser (6.0.10)
has no JSON Feed parser (upstream added one after 6.0), so a JSON Feed is
checked against JSON Feed 1.1's required fields with the json module
instead, and reported with "parser": "json".
"""
import json
import sys
import urllib.request

import feedparser


def check_json_feed(url):
    with urllib.request.urlopen(url) as resp:
        status = resp.status
        doc = json.load(resp)
    problems = []
    if doc.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append("version is %r" % doc.get("version"))
    if not isinstance(doc.get("title"), str) or not doc["title"]:
        problems.append("no title")
    items = doc.get("items")
    if not isinstance(items, list):
        problems.append("items is not a list")
        items = []
    for i, it in enumerate(items):
        if not isinstance(it.get("id"), str) or not it["id"]:
            problems.append("item %d has no id" % i)
        if not it.get("content_html") and not it.get("content_text"):
            problems.append("item %d has neither content_html nor content_text" % i)
        ext = it.get("_wirefeed")
        if not isinstance(ext, dict) or not ext.get("members"):
            problems.append("item %d has no _wirefeed members" % i)
    return {
        "url": url, "parser": "json", "status": status, "version": "json11",
        "bozo": bool(problems), "bozo_exception": "; ".join(problems),
        "entries": len(items), "ids": [it.get("id") for it in items],
    }


def check_feed(url):
    d = feedparser.parse(url)
    return {
        "url": url, "parser": "feedparser " + feedparser.__version__,
        "status": d.get("status"), "version": d.get("version", ""),
        "bozo": bool(d.get("bozo")), "bozo_exception": str(d.get("bozo_exception", "")),
        "entries": len(d.entries), "ids": [e.get("id") for e in d.entries],
    }


for url in sys.argv[1:]:
    result = check_json_feed(url) if url.split("?")[0].endswith(".json") else check_feed(url)
    print(json.dumps(result))

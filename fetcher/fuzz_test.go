package fetcher

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// addTestdataSeeds adds every fixture in testdata/ as a seed.
func addTestdataSeeds(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
}

// FuzzParse feeds arbitrary documents to Parse: it must never panic, and
// whatever it returns must keep normalisation's promises.
func FuzzParse(f *testing.F) {
	addTestdataSeeds(f)
	for _, s := range []string{
		`<rss version="2.0"><channel><title>t</title><item><title>a &amp; b</title><link>/x?utm_source=y</link></item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://e.example/"><entry><id>1</id><link href="a"/><content type="html">&lt;script&gt;x&lt;/script&gt;</content></entry></feed>`,
		`{"version":"https://jsonfeed.org/version/1.1","items":[null]}`,
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","authors":[null]}]}`,
		"\xff\xfe<\x00r\x00s\x00s\x00>\x00",
		`<?xml version="1.0" encoding="koi8-r"?><rss><channel><title>` + "\xf0\xd2" + `</title></channel></rss>`,
		`<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss><channel><title>&b;</title></channel></rss>`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := Parse(body, "", "https://feeds.example.com/f.xml", now, Limits{})
		if err != nil {
			return
		}
		for _, it := range doc.Items {
			if !utf8.ValidString(it.Title) || !utf8.ValidString(it.Text) || !utf8.ValidString(it.ContentHTML) {
				t.Fatalf("invalid UTF-8 in item %+v", it)
			}
			if strings.Contains(strings.ToLower(it.ContentHTML), "<script") {
				t.Fatalf("script survived sanitising: %q", it.ContentHTML)
			}
			if it.Published.After(now.Add(DefaultFutureSkew)) || it.Published.Location() != time.UTC {
				t.Fatalf("published %v not clamped to UTC past", it.Published)
			}
			if it.URL != "" && canonicalURL(it.URL, nil) != it.URL {
				t.Fatalf("item URL %q is not canonical", it.URL)
			}
		}
	})
}

// FuzzCanonicalURL checks that canonicalURL never panics, returns only
// absolute http(s) URLs, and is idempotent.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://News.Example.com:443/a/./b/../c/amp/?utm_source=x&b=2&a=1#frag",
		"//cdn.example.net/x", "/relative?amp", "javascript:alert(1)", "http://[::1]:80/", "http://user:pw@h/%zz",
		"https://example.com/a%2Fb.amp.html?outputType=amp", "HTTP://EXAMPLE.COM", "http://example.com/a b",
	} {
		f.Add(s)
	}
	base, _ := url.Parse("https://base.example.org/dir/page.html")
	f.Fuzz(func(t *testing.T, raw string) {
		for _, b := range []*url.URL{nil, base} {
			got := canonicalURL(raw, b)
			if got == "" {
				continue
			}
			u, err := url.Parse(got)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("canonicalURL(%q) = %q: not an absolute http(s) URL", raw, got)
			}
			if again := canonicalURL(got, nil); again != got {
				t.Fatalf("canonicalURL(%q) = %q, but canonicalURL(%q) = %q", raw, got, got, again)
			}
		}
	})
}

// FuzzHTMLToText checks that htmlToText never panics, returns valid UTF-8
// without markup from script or style, and is stable on its own output's
// white space (a second pass folds nothing more).
func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{
		"<p>One</p><p>Two &amp; three</p>", "<script>alert(1)</script>text", "a\u00a0\u00a0b\n\n\nc",
		"<div><ul><li>x<li>y</ul></div>", "&#0;&#xD800;&#146;&bogus;", "<style>p{}</style><br/><br/>", "\xff\xfe\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := htmlToText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("htmlToText(%q) = %q: invalid UTF-8", s, got)
		}
		if strings.Contains(got, "\n\n\n") || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") {
			t.Fatalf("htmlToText(%q) = %q: white space not folded", s, got)
		}
		if line := plainLine(s); strings.ContainsAny(line, "\n\t") {
			t.Fatalf("plainLine(%q) = %q: not one line", s, line)
		}
	})
}

package fetcher

import (
	"net/url"
	"strings"
	"testing"
)

func TestSanitizeHTML(t *testing.T) {
	base, _ := url.Parse("https://news.example.com/world/story.html")
	tests := []struct {
		name    string
		in      string
		exact   bool // want is the whole result
		want    string
		absent  []string // must not appear in the result
		present []string // must appear in the result
	}{
		{name: "plain paragraph kept", in: "<p>Talks resumed in <b>Geneva</b>.</p>", exact: true, want: "<p>Talks resumed in <b>Geneva</b>.</p>"},
		{name: "script removed with its text", in: `<p>a</p><script>alert("x")</script><p>b</p>`, absent: []string{"script", "alert"}, present: []string{"<p>a</p>", "<p>b</p>"}},
		{name: "style removed", in: `<style>p{color:red}</style><p style="color:red">a</p>`, absent: []string{"style", "color"}, present: []string{"<p>a</p>"}},
		{name: "event handlers removed", in: `<img src="https://i.example.com/x.jpg" onerror="alert(1)"><a href="https://e.example/" onclick="steal()">x</a>`, absent: []string{"onerror", "onclick", "alert", "steal"}},
		{name: "javascript URL removed", in: `<a href="javascript:alert(1)">x</a>`, absent: []string{"javascript"}},
		{name: "entity-obfuscated javascript removed", in: `<a href="jav&#x61;script:alert(1)">x</a>`, absent: []string{"script:", "alert"}},
		{name: "data URL in link removed", in: `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, absent: []string{"data:"}},
		{name: "iframe removed", in: `<iframe src="https://evil.example/"></iframe><p>a</p>`, absent: []string{"iframe", "evil"}},
		{name: "object and embed removed", in: `<object data="x.swf"></object><embed src="x.swf"><p>a</p>`, absent: []string{"object", "embed", "swf"}},
		{name: "form removed", in: `<form action="https://evil.example/"><input name="pw"></form>`, absent: []string{"form", "input"}},
		{name: "meta refresh removed", in: `<meta http-equiv="refresh" content="0;url=https://evil.example/">a`, absent: []string{"meta", "refresh"}},
		{name: "svg script removed", in: `<svg><script>alert(1)</script></svg>a`, absent: []string{"script", "alert"}},
		{name: "relative link resolved", in: `<a href="other.html">x</a>`, present: []string{`href="https://news.example.com/world/other.html"`}},
		{name: "relative image resolved", in: `<img src="/img/a.jpg" alt="a">`, present: []string{`src="https://news.example.com/img/a.jpg"`}},
		{name: "absolute link kept", in: `<a href="https://other.example/x">x</a>`, present: []string{`href="https://other.example/x"`}},
		{name: "figure and time kept", in: `<figure><figcaption>c</figcaption></figure><time datetime="2023-06-14">d</time>`, present: []string{"<figure>", "<figcaption>", `<time datetime="2023-06-14">`}},
		{name: "empty", in: "  \n ", exact: true, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sanitizeHTML(tt.in, base)
			if tt.exact && got != tt.want {
				t.Errorf("sanitizeHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
			low := strings.ToLower(got)
			for _, s := range tt.absent {
				if strings.Contains(low, strings.ToLower(s)) {
					t.Errorf("sanitizeHTML(%q) = %q, still contains %q", tt.in, got, s)
				}
			}
			for _, s := range tt.present {
				if !strings.Contains(got, s) {
					t.Errorf("sanitizeHTML(%q) = %q, want it to contain %q", tt.in, got, s)
				}
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text passes", "Talks resumed in Geneva.", "Talks resumed in Geneva."},
		{"entities decoded", "Smith &amp; Jones &lt;3 &eacute;t&eacute; &#8220;q&#8221; &#x2014;", "Smith & Jones <3 été “q” —"},
		{"tags removed", "<p>Talks <b>resumed</b> in <a href=\"x\">Geneva</a>.</p>", "Talks resumed in Geneva."},
		{"paragraphs separated by a blank line", "<p>One.</p><p>Two.</p>", "One.\n\nTwo."},
		{"br breaks paragraphs", "One.<br>Two.<br/>Three.", "One.\n\nTwo.\n\nThree."},
		{"whitespace folded within a paragraph", "<p>  One\n  two\t\tthree  </p>", "One two three"},
		{"nbsp and zero-width folded", "a\u00a0\u00a0b\u200bc\ufeff d", "a b c d"},
		{"script and style text dropped", "<script>var x=1;</script><style>p{}</style><p>a</p>", "a"},
		{"source blank lines kept as breaks", "One.\n\nTwo.\nstill two.", "One.\n\nTwo. still two."},
		{"list items separated", "<ul><li>a</li><li>b</li></ul>", "a\n\nb"},
		{"NUL dropped", "a\x00b", "ab"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(tt.in); got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlainLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"entities decoded", "US &amp; China agree &#8212; for now", "US & China agree — for now"},
		{"markup dropped", "<b>Breaking:</b> talks <i>resume</i>", "Breaking: talks resume"},
		{"markup escaped once is decoded to text", "&lt;b&gt;Breaking&lt;/b&gt;", "<b>Breaking</b>"},
		{"newlines and tabs folded", "  Talks\n\n resume\tin   Geneva  ", "Talks resume in Geneva"},
		{"paragraphs joined on one line", "<p>a</p><p>b</p>", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainLine(tt.in); got != tt.want {
				t.Errorf("plainLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

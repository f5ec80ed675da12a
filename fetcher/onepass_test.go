package fetcher

import (
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/wirefeed/wirefeed/internal/fixtures"
)

// TestSanitizeWithTextEqualsTheThreePasses checks the one-pass body
// reading against what it replaces, sanitizeHTML then htmlToText, on
// hand-written edge cases, every body of the generated corpus and, when
// ../shared is there, every document of the real corpus.
func TestSanitizeWithTextEqualsTheThreePasses(t *testing.T) {
	base, _ := url.Parse("https://news.example/world/story.html")
	bodies := []string{
		"", "  ", "plain text, no markup", "AT&amp;T &lt;b&gt; &#146;quoted&#148;",
		`<P CLASS="x">Upper <A HREF="/rel">link</A></P><SCRIPT>alert(1)</SCRIPT>`,
		`<p>one</p><p>two<br>three</p><img src="a.jpg"><a href="https://abs.example/">abs</a>`,
		`<table><tr><td>cell</td></tr></table><style>p{}</style><iframe src="/x"></iframe>tail`,
		`<p>unclosed <b>bold <i>both</p> text after`, `a < b and c > d`, "\u0092curly\u0093 <p>x</p>",
	}
	// The bodies as feeds carry them, before any cleaning.
	raw := func(doc []byte) {
		f, _, err := parseFeed(doc)
		if err != nil {
			return
		}
		for _, it := range f.Items {
			bodies = append(bodies, it.Content, it.Description)
		}
	}
	for _, f := range fixtures.GenerateCorpus(fixtures.CorpusOptions{Feeds: 10}).Feeds {
		raw(f.Body)
	}
	if os.Getenv("WIREFEED_SHARED") != "" || dirExists(filepath.Join("..", "..", "shared", "corpus")) {
		n := 0
		_ = filepath.WalkDir(sharedCorpus(t), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || n >= 800 {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil {
				n++
				if utf8Body, _, err := toUTF8(b, ""); err == nil {
					raw(utf8Body)
				}
			}
			return nil
		})
	}
	for _, b := range bodies {
		for _, u := range []*url.URL{base, nil} {
			wantHTML := sanitizeHTML(b, u)
			wantText := foldParagraphs(wantHTML)
			if strings.ContainsAny(wantHTML, "<&") {
				wantText = htmlToTextTokenized(wantHTML) // htmlToText before its byte scanner
			}
			gotHTML, gotText := sanitizeWithText(b, u)
			if gotHTML != wantHTML || gotText != wantText {
				t.Fatalf("sanitizeWithText(%.200q, %v)\n= %.200q, %.200q\nwant %.200q, %.200q", b, u, gotHTML, gotText, wantHTML, wantText)
			}
		}
	}
	t.Logf("%d bodies compared", len(bodies))
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// foldParagraphsRef is foldParagraphs as it was before its ASCII fast
// path: rune by rune.
func foldParagraphsRef(s string) string {
	var b strings.Builder
	pendingSpace, pendingBreak := false, false
	newlines := 0
	for _, r := range s {
		if r == utf8.RuneError || r == 0 {
			continue
		}
		if r = fromC1(r); r < 0 {
			continue
		}
		if r == '\n' {
			newlines++
			if newlines >= 2 {
				pendingBreak = true
			}
			pendingSpace = true
			continue
		}
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			pendingSpace = true
			continue
		}
		newlines = 0
		if b.Len() > 0 {
			if pendingBreak {
				b.WriteString("\n\n")
			} else if pendingSpace {
				b.WriteByte(' ')
			}
		}
		pendingSpace, pendingBreak = false, false
		b.WriteRune(r)
	}
	return b.String()
}

func TestFoldParagraphsFastPathAgrees(t *testing.T) {
	pieces := []string{"a", "Bc", " ", "\t", "\n", "\r\n", "\n\n", "\x00", "\v\f", "\u00a0", "\u0085", "\u0092", "\u200b", "\ufeff",
		"\u2003", "é", "中", "\xff", "\xe2\x80", "\ufffd", ".", "<"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := foldParagraphs(s), foldParagraphsRef(s); got != want {
			t.Fatalf("foldParagraphs(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestHasLinkAttr: the test that lets a start tag skip Token may say yes
// for a tag without a link, never no for a tag with one.
func TestHasLinkAttr(t *testing.T) {
	tests := []struct {
		tag  string
		want bool
	}{
		{`<a href="/x">`, true},
		{`<A HREF="/x">`, true},
		{`<img Src=a.jpg>`, true},
		{`<img src="a.jpg"/>`, true},
		{`<a title="srcset">`, true},
		{`<p>`, false},
		{`<p class="x" id="y">`, false},
		{`<hr/>`, false},
		{`<s>`, false},
	}
	for _, tt := range tests {
		if got := hasLinkAttr([]byte(tt.tag)); got != tt.want {
			t.Errorf("hasLinkAttr(%q) = %v, want %v", tt.tag, got, tt.want)
		}
	}
}

// TestHasC1 checks the byte test for C1 controls against decoding every
// character, on random strings with the bytes around them.
func TestHasC1(t *testing.T) {
	pieces := []string{"a", "\u0085", "\u0092", "\u009f", "\u00a0", "\u00c2", "\xc2", "\x85", "\xe2\xc2", "é", "中", "\xff"}
	rng := rand.New(rand.NewPCG(4, 13))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := hasC1(s), strings.ContainsFunc(s, isC1); got != want {
			t.Fatalf("hasC1(%q) = %v, want %v", s, got, want)
		}
	}
}

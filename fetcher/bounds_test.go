package fetcher

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/wirefeed/wirefeed/internal/hostile"
)

func TestCheckBounds(t *testing.T) {
	rss := func(inner string) string {
		return `<rss version="2.0" xmlns:x="http://x.example/"><channel><title>t</title><item><title>i</title>` + inner + `</item></channel></rss>`
	}
	nested := func(n int, open, close string) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	lim := Limits{MaxDepth: 40, MaxElements: 20_000}
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"ordinary feed", string(rssDoc("Ordinary", "o", 30)), nil},
		{"depth at the limit", rss(nested(40-4, "<x:a>", "</x:a>")), nil},
		{"depth past the limit", rss(nested(40-2, "<x:a>", "</x:a>")), ErrTooDeep},
		{"unclosed nesting", rss(strings.Repeat("<x:a>", 50)), ErrTooDeep},
		{"self-closing elements do not nest", rss(strings.Repeat("<x:a/>", 500)), nil},
		{"mismatched end tags close one level each", rss(strings.Repeat("<x:a></x:b>", 500)), nil},
		{"elements past the floor", rss(strings.Repeat("<x:a/>", MinElements)), ErrTooManyElements},
		{"attributes count", rss(strings.Repeat(`<x:a b="" c="" d=""/>`, MinElements/4+1)), ErrTooManyElements},
		{"attributes on one element", rss(`<x:a` + strings.Repeat(` b="1"`, MaxAttributes+1) + `/>`), ErrTooManyElements},
		{"attributes without values", rss(`<x:a` + strings.Repeat(` b`, MaxAttributes+1) + `/>`), ErrTooManyElements},
		{"attributes at the limit", rss(`<x:a` + strings.Repeat(` b = "a > b"`, MaxAttributes-1) + `/>`), nil},
		{"attribute-like text in comments and CDATA", rss(`<!--` + strings.Repeat(` b`, 2*MaxAttributes) + `--><x:a><![CDATA[<` + strings.Repeat(` b`, 2*MaxAttributes) + `]]></x:a>`), nil},
		{"large elements within the density", rss(strings.Repeat("<x:a>"+strings.Repeat("w", 40)+"</x:a>", 12_000)), nil},
		{"elements past the ceiling", rss(strings.Repeat("<x:a>"+strings.Repeat("w", 40)+"</x:a>", 21_000)), ErrTooManyElements},
		{"namespaces at the limit", `<rss version="2.0"` + xmlnsDecls(MaxNamespaces) + `><channel><title>t</title></channel></rss>`, nil},
		{"namespaces past the limit", `<rss version="2.0"` + xmlnsDecls(MaxNamespaces+1) + `><channel><title>t</title></channel></rss>`, ErrTooComplex},
		{"namespaces summed over open elements", `<rss version="2.0"` + xmlnsDecls(20) + `><channel` + xmlnsDecls(20) + `><title>t</title></channel></rss>`, ErrTooComplex},
		{"extension text in many pieces", rss(`<x:a>` + strings.Repeat("some text<!---->", 20_000) + `</x:a>`), ErrTooComplex},
		{"extension text in CDATA pieces", rss(`<x:a>` + strings.Repeat("<![CDATA[some text]]>", 20_000) + `</x:a>`), ErrTooComplex},
		{"native text in many pieces is read linearly", rss(`<description>` + strings.Repeat("some text<!---->", 20_000) + `</description>`), nil},
		{"extension text in a few pieces", rss(`<x:a>one<![CDATA[two]]>three<!-- four -->five</x:a>`), nil},
		{"syntax error stops the pass", rss(`<x:a>` + strings.Repeat("<x:b>", 10) + `<<<` + strings.Repeat("<x:c>", 100)), nil},
		{"an encoding label does not stop it", `<?xml version="1.0" encoding="windows-1252"?>` + rss(strings.Repeat("<x:a>", 50)), ErrTooDeep},
		{"JSON Feed", `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","tags":["a","b"]}]}`, nil},
		{"JSON at the depth limit", `{"items":[{"x":` + nested(40-3, "[", "]") + `}]}`, nil},
		{"JSON past the depth limit", `{"items":[{"x":` + nested(40-2, "[", "]") + `}]}`, ErrTooDeep},
		{"JSON behind byte-order-mark bytes", "\xef\xbb\xbf \n" + `{"items":[{"x":` + nested(60, "[", "]") + `}]}`, ErrTooDeep},
		{"JSON value flood", `{"items":[` + strings.Repeat("{},", MinElements) + `{}]}`, ErrTooManyElements},
		{"JSON syntax error", `{"items":[` + strings.Repeat("[", 50) + `}`, ErrTooDeep},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBounds([]byte(tt.doc), lim)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("checkBounds = %v, want %v", err, tt.want)
			}
		})
	}
}

func xmlnsDecls(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` xmlns:n%d="http://n%d.example/"`, i, i)
	}
	return b.String()
}

// TestBoundsAcceptRealFeeds runs the bounds over every document of the
// shared corpus: none of them may be refused.
func TestBoundsAcceptRealFeeds(t *testing.T) {
	dir := sharedCorpus(t)
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		utf8Body, _, err := ToUTF8(body, "")
		if err != nil {
			return nil // not for the bounds to judge
		}
		n++
		if err := checkBounds(utf8Body, Limits{}); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d corpus documents within the default bounds", n)
}

// hostileResult is what the child process reports for one payload.
type hostileResult struct {
	Name     string `json:"name"`
	Err      string `json:"err"`
	Items    int    `json:"items"`
	MaxTitle int    `json:"max_title_runes"`
	MaxHTML  int    `json:"max_html_bytes"`
	Spoofing bool   `json:"spoofing"` // a bidi control or noncharacter in a title
	Size     int    `json:"size"`
	Alloc    uint64 `json:"alloc"` // bytes allocated by Parse
}

// TestHostileParse runs every payload of the hostile corpus through Parse
// with the default limits. It does so in a child process: were a bound to
// fail, the nesting payload would kill the process with a fatal stack
// overflow, which no recover catches, and this test reports that instead
// of dying with it.
func TestHostileParse(t *testing.T) {
	if os.Getenv("WIREFEED_HOSTILE_CHILD") == "parse" {
		hostileParseChild()
		return
	}
	if raceEnabled {
		t.Skip("bounds, not concurrency: runs without -race (see race_on_test.go)")
	}
	out, err := childTest(t, "^TestHostileParse$", "parse")
	if err != nil {
		t.Fatalf("the child process died: %v\n%s", err, tail(out, 3000))
	}
	results := map[string]hostileResult{}
	for _, line := range strings.Split(string(out), "\n") {
		if js, ok := strings.CutPrefix(line, "RESULT "); ok {
			var r hostileResult
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatalf("child line %q: %v", line, err)
			}
			results[r.Name] = r
		}
	}
	all, err := hostile.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		r, ok := results[p.Name]
		if !ok {
			t.Errorf("%s: no result from the child", p.Name)
			continue
		}
		// Memory: what Parse allocates stays within a multiple of the
		// document (a gross bound: gofeed itself allocates 10 to 35 times
		// a real feed's size in all).
		t.Logf("%-32s %-8s %9d bytes, Parse allocated %6.1f MB (%5.1fx): %s", p.Name, p.Want, r.Size, float64(r.Alloc)/1e6, float64(r.Alloc)/float64(max(r.Size, 1)), firstLine(r.Err))
		if limit := uint64(64*r.Size + 64<<20); r.Alloc > limit {
			t.Errorf("%s: Parse allocated %d bytes for a %d-byte document, over %d", p.Name, r.Alloc, r.Size, limit)
		}
		switch p.Want {
		case hostile.Rejected:
			if r.Err == "" || !strings.Contains(strings.ToLower(r.Err), strings.ToLower(p.Reason)) {
				t.Errorf("%s: error %q, want one that says %q", p.Name, r.Err, p.Reason)
			}
		case hostile.Stored:
			if r.Err != "" || r.Items == 0 {
				t.Errorf("%s: error %q, %d items; want it parsed", p.Name, r.Err, r.Items)
			}
			if r.Items > DefaultMaxItems || r.MaxTitle > DefaultMaxTitleRunes || r.MaxHTML > DefaultMaxHTMLBytes {
				t.Errorf("%s: %d items, titles up to %d runes, bodies up to %d bytes: over the limits", p.Name, r.Items, r.MaxTitle, r.MaxHTML)
			}
			if r.Spoofing {
				t.Errorf("%s: a title keeps a bidirectional control or a noncharacter", p.Name)
			}
		}
	}
}

func hostileParseChild() {
	all, err := hostile.All()
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	now := time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)
	for _, p := range all {
		body := p.Body()
		fmt.Fprintf(os.Stderr, "parsing %s\n", p.Name) // the last one named is the one that killed us
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		doc, err := Parse(body, "", "https://hostile.example/feed", now, Limits{})
		runtime.ReadMemStats(&after)
		r := hostileResult{Name: p.Name, Size: len(body), Alloc: after.TotalAlloc - before.TotalAlloc}
		if err != nil {
			r.Err = err.Error()
		} else {
			r.Items = len(doc.Items)
			for _, it := range append([]string{doc.Meta.Title}, titles(doc)...) {
				r.MaxTitle = max(r.MaxTitle, utf8.RuneCountInString(it))
				r.Spoofing = r.Spoofing || strings.ContainsFunc(it, isSpoofing)
			}
			for _, it := range doc.Items {
				r.MaxHTML = max(r.MaxHTML, len(it.ContentHTML))
			}
		}
		js, _ := json.Marshal(r)
		fmt.Printf("RESULT %s\n", js)
	}
}

func titles(doc *Document) []string {
	var out []string
	for _, it := range doc.Items {
		out = append(out, it.Title)
		out = append(out, it.Authors...)
		out = append(out, it.Categories...)
	}
	return out
}

func isSpoofing(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// TestNestingPayloadKillsUnboundedGofeed shows that the corpus's nesting
// payload is the real crash: handed to gofeed without the bounds, it dies
// of a fatal stack overflow that recover cannot catch. The child runs
// with a 64 MB stack limit instead of 1 GB, so it dies in a moment.
func TestNestingPayloadKillsUnboundedGofeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process that crashes")
	}
	if os.Getenv("WIREFEED_HOSTILE_CHILD") == "gofeed" {
		debug.SetMaxStack(64 << 20)
		defer func() {
			if r := recover(); r != nil {
				fmt.Println("RECOVERED", r) // not reached: a stack overflow is fatal
			}
		}()
		for _, p := range hostile.Generated() {
			if p.Name == "nesting-2.7m.rss" {
				_, err := gofeed.NewParser().Parse(bytes.NewReader(p.Body()))
				fmt.Println("PARSED", err)
			}
		}
		return
	}
	out, err := childTest(t, "^TestNestingPayloadKillsUnboundedGofeed$", "gofeed")
	if err == nil || !bytes.Contains(out, []byte("stack overflow")) {
		t.Fatalf("want the child to die of a stack overflow; it ended with %v:\n%s", err, tail(out, 2000))
	}
	if bytes.Contains(out, []byte("RECOVERED")) {
		t.Fatal("the stack overflow was recovered; the premise of the bounds changed")
	}
}

// childTest runs one test of this binary in a child process and returns
// its combined output.
func childTest(t *testing.T, run, mode string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v")
	cmd.Env = append(os.Environ(), "WIREFEED_HOSTILE_CHILD="+mode)
	return cmd.CombinedOutput()
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 110 {
		s = s[:110] + "…"
	}
	return s
}

// BenchmarkBounds measures the pass over a large ordinary document (the
// corpus payload that is within every bound): the cost added to every
// parse.
func BenchmarkBounds(b *testing.B) {
	var body []byte
	for _, p := range hostile.Generated() {
		if p.Name == "under-the-bounds.rss" {
			body = p.Body()
		}
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkBounds(body, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHugeBodyCapDoesNotOverflow: a cap of 2^63-1 once made every feed
// fail as an empty document (the cap plus one overflowed).
func TestHugeBodyCapDoesNotOverflow(t *testing.T) {
	body := rssDoc("Capped", "c", 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	c := localClient(ClientOptions{MaxBodyBytes: math.MaxInt64})
	defer c.CloseIdleConnections()
	resp, err := c.Get(context.Background(), Request{URL: srv.URL})
	if err != nil || !bytes.Equal(resp.Body, body) {
		t.Fatalf("Get = %v; want the whole %d-byte body", err, len(body))
	}
}

// BenchmarkBoundsShare compares the bounds pass with the whole Parse of
// the same document, for a real capture (miniflux's 167 KB RSS, from the
// shared corpus) and the large payload within every bound.
func BenchmarkBoundsShare(b *testing.B) {
	docs := map[string][]byte{}
	for _, p := range hostile.Generated() {
		if p.Name == "under-the-bounds.rss" {
			docs["under-the-bounds"] = p.Body()
		}
	}
	// The real capture when the shared corpus is beside the project (as
	// sharedCorpus finds it, without skipping the other document).
	shared := cmp.Or(os.Getenv("WIREFEED_SHARED"), filepath.Join("..", "..", "shared"))
	if real, err := os.ReadFile(filepath.Join(shared, "corpus", "miniflux-v2", "internal", "reader", "parser", "testdata", "large_rss.xml")); err == nil {
		docs["miniflux-large-rss"] = real
	}
	now := time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)
	for _, name := range []string{"miniflux-large-rss", "under-the-bounds"} {
		body, ok := docs[name]
		if !ok {
			continue
		}
		b.Run(name+"/bounds", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := checkBounds(body, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/parse", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := Parse(body, "", "https://example.com/feed", now, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

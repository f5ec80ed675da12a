package fetcher

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestToUTF8(t *testing.T) {
	const title = "Café “Élysée” – 5€"
	latin1Doc := func(decl string) []byte {
		return encode(t, charmap.ISO8859_1, decl+"<rss><channel><title>Café Élysée</title></channel></rss>")
	}
	cp1252Doc := func(decl string) []byte {
		return encode(t, charmap.Windows1252, decl+"<rss><channel><title>"+title+"</title></channel></rss>")
	}
	utf16 := func(order unicode.Endianness, bom unicode.BOMPolicy, s string) []byte {
		return encode(t, unicode.UTF16(order, bom), s)
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		wantEnc     string
		wantTitle   string
	}{
		{"utf-8 without declaration", []byte("<rss><channel><title>" + title + "</title></channel></rss>"), "", "utf-8", title},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, "<rss><channel><title>"+title+"</title></channel></rss>"...), "", "utf-8", title},
		// The mark wins over a contrary label, and a stray byte that is
		// not UTF-8 does not turn the whole document into windows-1252.
		{"utf-8 BOM beats an HTTP charset", append([]byte{0xEF, 0xBB, 0xBF}, "<rss><channel><title>"+title+"</title></channel></rss>"...), "text/xml; charset=iso-8859-1", "utf-8", title},
		{"utf-8 BOM with a stray byte", append([]byte{0xEF, 0xBB, 0xBF}, "<rss><channel><title>"+title+"\x92</title></channel></rss>"...), "", "utf-8", title}, // the replacement character is dropped from the title
		{"windows-1252 declared in the prolog", cp1252Doc(`<?xml version="1.0" encoding="windows-1252"?>`), "", "windows-1252", title},
		{"windows-1252 declared over HTTP only", cp1252Doc(`<?xml version="1.0"?>`), "application/rss+xml; charset=windows-1252", "windows-1252", title},
		{"ISO-8859-1 without any declaration", latin1Doc(""), "", "windows-1252", "Café Élysée"},
		{"ISO-8859-1 declared as UTF-8 in the prolog", latin1Doc(`<?xml version="1.0" encoding="utf-8"?>`), "", "windows-1252", "Café Élysée"},
		{"ISO-8859-1 served as text/xml; charset=utf-8", latin1Doc(""), "text/xml; charset=utf-8", "windows-1252", "Café Élysée"},
		{"HTTP charset overrides the prolog", latin1Doc(`<?xml version="1.0" encoding="koi8-r"?>`), `application/xml; charset="ISO-8859-1"`, "windows-1252", "Café Élysée"},
		{"unknown HTTP charset falls back to the prolog", latin1Doc(`<?xml version="1.0" encoding="iso-8859-1"?>`), "text/xml; charset=x-bogus", "windows-1252", "Café Élysée"},
		{"KOI8-R declared in the prolog", encode(t, charmap.KOI8R, `<?xml version="1.0" encoding="KOI8-R"?><rss><channel><title>Москва</title></channel></rss>`), "", "koi8-r", "Москва"},
		{"UTF-16LE with BOM", utf16(unicode.LittleEndian, unicode.UseBOM, `<?xml version="1.0" encoding="utf-16"?><rss><channel><title>`+title+`</title></channel></rss>`), "", "utf-16le", title},
		{"UTF-16BE with BOM", utf16(unicode.BigEndian, unicode.UseBOM, `<?xml version="1.0" encoding="utf-16"?><rss><channel><title>`+title+`</title></channel></rss>`), "", "utf-16be", title},
		{"UTF-16LE without BOM", utf16(unicode.LittleEndian, unicode.IgnoreBOM, `<?xml version="1.0" encoding="utf-16le"?><rss><channel><title>`+title+`</title></channel></rss>`), "", "utf-16le", title},
		{"UTF-16 with BOM despite an HTTP charset", utf16(unicode.BigEndian, unicode.UseBOM, `<rss><channel><title>`+title+`</title></channel></rss>`), "text/xml; charset=iso-8859-1", "utf-16be", title},
		{"UTF-32BE with BOM", encode(t, utf32.UTF32(utf32.BigEndian, utf32.UseBOM), `<rss><channel><title>`+title+`</title></channel></rss>`), "", "utf-32be", title},
		{"UTF-16 declared on ASCII bytes", []byte(`<?xml version="1.0" encoding="utf-16"?><rss><channel><title>plain</title></channel></rss>`), "", "utf-8", "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, enc, err := toUTF8(tt.body, tt.contentType)
			if err != nil {
				t.Fatalf("toUTF8 error: %v", err)
			}
			if enc != tt.wantEnc {
				t.Errorf("encoding = %q, want %q", enc, tt.wantEnc)
			}
			if decl := xmlDeclaredCharset(out); decl != "" && !strings.EqualFold(decl, "utf-8") {
				t.Errorf("declaration still says %q after decoding", decl)
			}
			doc, err := Parse(tt.body, tt.contentType, "https://example.com/feed", seenAt, Limits{})
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			if doc.Meta.Title != tt.wantTitle {
				t.Errorf("title = %q, want %q", doc.Meta.Title, tt.wantTitle)
			}
		})
	}
}

// TestCharsetCorpus runs every document of feedparser's encoding and
// illformed/chardet cases and miniflux's captures through the decoder and
// reports what decodes right. "Right" means: the text we hand the parser
// equals the document decoded with the encoding the case names (feedparser's
// `encoding == '...'`; for miniflux, the encoding the file really is), or,
// for cases that state a decoded value, our parsed item carries that value.
func TestCharsetCorpus(t *testing.T) {
	corpus := sharedCorpus(t)
	type tally struct{ right, wrong, unchecked, parsed, rejected int }
	folders := []string{"feedparser/tests/encoding", "feedparser/tests/illformed/chardet", "miniflux-v2/internal/reader"}
	totals := map[string]*tally{}
	var wrongs []string
	for _, folder := range folders {
		tl := &tally{}
		totals[folder] = tl
		err := filepath.WalkDir(filepath.Join(corpus, folder), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".xml") {
				return err
			}
			body, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(corpus, path)
			c := charsetCase(t, rel, body)
			if _, err := Parse(body, c.contentType, "http://127.0.0.1:8097/", seenAt, Limits{}); err == nil {
				tl.parsed++
			} else {
				tl.rejected++
			}
			switch ok, why := c.judge(body); {
			case why == "":
				tl.unchecked++
			case ok:
				tl.right++
			default:
				tl.wrong++
				wrongs = append(wrongs, rel+": "+why)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	right := 0
	for _, folder := range folders {
		tl := totals[folder]
		right += tl.right
		t.Logf("%-36s decoded right %3d, wrong %2d, no decoding check %2d | parsed %3d, rejected %2d",
			folder, tl.right, tl.wrong, tl.unchecked, tl.parsed, tl.rejected)
	}
	sort.Strings(wrongs)
	for _, w := range wrongs {
		t.Logf("wrong: %s", w)
	}
	// Floors measured on the corpus as shipped (issue 10); a regression in
	// the decoder drops below them. Known misses: tis620.xml (no
	// declaration, Thai bytes: not an encoding the detector knows, read as
	// windows-1252), and one case of line noise.
	if tl := totals["feedparser/tests/encoding"]; tl.right < 72 {
		t.Errorf("feedparser encoding cases decoded right: %d, want at least 72", tl.right)
	}
	if tl := totals["feedparser/tests/illformed/chardet"]; tl.right < 7 {
		t.Errorf("feedparser chardet cases decoded right: %d, want at least 7", tl.right)
	}
	if tl := totals["miniflux-v2/internal/reader"]; tl.right < 18 {
		t.Errorf("miniflux captures decoded right: %d, want at least 18", tl.right)
	}
}

// charsetCaseT describes one corpus document: the Content-Type it is served
// with and what it should decode to.
type charsetCaseT struct {
	name        string
	contentType string
	wantEnc     string // label of the encoding the text really is in
	expect      string // feedparser's Expect expression, if any
}

var (
	expectRE    = regexp.MustCompile(`(?m)^Expect:\s*(.*)$`)
	headerRE    = regexp.MustCompile(`(?mi)^Header:\s*Content-type:\s*(.*)$`)
	encodingRE  = regexp.MustCompile(`encoding == '([^']*)'`)
	valueRE     = regexp.MustCompile(`(entries\[0\](?:\['(\w+)'\]|\.(\w+))|feed\['(\w+)'\]) == ('(?:[^'\\]|\\.)*')`)
	ordRE       = regexp.MustCompile(`ord\(entries\[0\]\['(\w+)'\]\) == (\d+)`)
	declRE      = regexp.MustCompile(`^\s*<\?xml[^>]*\?>`)
	minifluxEnc = map[string]string{
		// What each miniflux capture really is, whatever its prolog says.
		"invalid-prolog.xml": "utf-8", "iso-8859-1.xml": "iso-8859-1", "koi8r.xml": "koi8-r",
		"utf8-incorrect-prolog.xml": "utf-8", "utf8.xml": "utf-8", "windows-1252-incorrect-prolog.xml": "utf-8",
		"windows-1252.xml": "windows-1252", "iso88591.xml": "iso-8859-1", "iso88591_utf8_mismatch.xml": "iso-8859-1",
		"encoding_ISO-8859-1.xml": "iso-8859-1", "encoding_WINDOWS-1251.xml": "windows-1251",
		"no_encoding_ISO-8859-1.xml": "iso-8859-1", "rdf_UTF8.xml": "utf-8", "urdu_UTF8.xml": "utf-8",
		"large_atom.xml": "utf-8", "large_rss.xml": "utf-8", "small_atom.xml": "utf-8",
	}
)

func charsetCase(t *testing.T, rel string, body []byte) charsetCaseT {
	c := charsetCaseT{name: rel}
	if strings.HasPrefix(rel, "miniflux") {
		c.wantEnc = minifluxEnc[filepath.Base(rel)]
		if c.wantEnc == "" {
			t.Errorf("%s: no known encoding for this capture; add it to minifluxEnc", rel)
		}
		return c
	}
	// The header comment is ASCII; reading it through our decoder is
	// enough to find it even in UTF-16 and UTF-32 files.
	text, _, _ := toUTF8(body, "")
	if m := expectRE.FindSubmatch(text); m != nil {
		c.expect = string(bytes.TrimSpace(m[1]))
	}
	if m := headerRE.FindSubmatch(text); m != nil {
		c.contentType = string(bytes.TrimSpace(m[1]))
	}
	if m := encodingRE.FindStringSubmatch(c.expect); m != nil {
		c.wantEnc = m[1]
	}
	return c
}

// judge says whether body decodes right; why is "" when the case states
// nothing about the decoded text.
func (c charsetCaseT) judge(body []byte) (ok bool, why string) {
	if c.wantEnc != "" {
		want, err := referenceDecode(body, c.wantEnc)
		if err != nil {
			return false, err.Error()
		}
		got, enc, err := toUTF8(body, c.contentType)
		if err != nil {
			return false, err.Error()
		}
		strip := func(b []byte) []byte { return declRE.ReplaceAll(bytes.TrimPrefix(b, []byte("\uFEFF")), nil) }
		if !bytes.Equal(strip(got), strip(want)) {
			return false, fmt.Sprintf("decoded as %s, want %s", enc, c.wantEnc)
		}
		return true, "ok"
	}
	field, want := "", ""
	if m := valueRE.FindStringSubmatch(c.expect); m != nil {
		field = m[2] + m[3] + m[4]
		if strings.HasPrefix(m[1], "feed") {
			field = "feed." + field
		}
		v, err := pythonString(m[5])
		if err != nil {
			return false, err.Error()
		}
		want = v
	} else if m := ordRE.FindStringSubmatch(c.expect); m != nil {
		n, _ := strconv.Atoi(m[2])
		field, want = m[1], string(rune(n))
	} else {
		return false, ""
	}
	doc, err := Parse(body, c.contentType, "http://127.0.0.1:8097/", seenAt, Limits{})
	if err != nil {
		return false, "parse: " + err.Error()
	}
	var got []string
	if field == "feed.title" {
		got = []string{doc.Meta.Title}
	} else if len(doc.Items) > 0 {
		it := doc.Items[0]
		got = []string{it.Title, it.Summary, it.Text, it.ContentHTML}
	}
	// Our fields are normalised (plain text, sanitised HTML); compare the
	// characters, not the markup.
	wantText := plainLine(want)
	for _, g := range got {
		if wantText != "" && plainLine(g) == wantText {
			return true, "ok"
		}
		if wantText == "" && containsNonASCII(g, want) {
			return true, "ok"
		}
	}
	// A value that lives in markup the sanitiser removes (an attribute of
	// an <img> without src) is judged on the decoded document instead.
	if wantText == "" {
		if text, _, err := toUTF8(body, c.contentType); err == nil && containsNonASCII(string(text), want) {
			return true, "ok"
		}
	}
	return false, fmt.Sprintf("%s: got %q, want %q", field, got, want)
}

func containsNonASCII(got, want string) bool {
	found := false
	for _, r := range want {
		if r > 127 {
			if !strings.ContainsRune(got, r) {
				return false
			}
			found = true
		}
	}
	return found
}

// referenceDecode decodes a whole document with the named encoding, the
// way a decoder that knew the answer would.
func referenceDecode(body []byte, label string) ([]byte, error) {
	var e encoding.Encoding
	switch strings.ToLower(label) {
	case "utf-8":
		return bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF}), nil
	case "utf-16be":
		e = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
		if !bytes.HasPrefix(body, []byte{0xFE, 0xFF}) {
			e = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
		}
	case "utf-16le":
		e = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
		if !bytes.HasPrefix(body, []byte{0xFF, 0xFE}) {
			e = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
		}
	case "utf-32be":
		e = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
		body = bytes.TrimPrefix(body, []byte{0, 0, 0xFE, 0xFF})
	case "utf-32le":
		e = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
		body = bytes.TrimPrefix(body, []byte{0xFF, 0xFE, 0, 0})
	default:
		e, _ = charset.Lookup(label)
		if e == nil {
			return nil, fmt.Errorf("no decoder for %q", label)
		}
	}
	return e.NewDecoder().Bytes(body)
}

// pythonString reads a Python string literal as feedparser's cases write
// them: single quotes, \uXXXX, \xXX and backslash escapes.
func pythonString(lit string) (string, error) {
	lit = strings.TrimPrefix(lit, "u")
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", fmt.Errorf("not a string literal: %s", lit)
	}
	s := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'u', 'x':
			n := 4
			if s[i] == 'x' {
				n = 2
			}
			if i+n >= len(s) {
				return "", fmt.Errorf("short escape in %s", lit)
			}
			v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", err
			}
			b.WriteRune(rune(v))
			i += n
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

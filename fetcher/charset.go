package fetcher

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/saintfish/chardet"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// xmlDecl matches an XML declaration at the start of a document, capturing
// the encoding pseudo-attribute's value when there is one.
var xmlDecl = regexp.MustCompile(`^\s*<\?xml[^>]*?\?>`)
var xmlDeclEncoding = regexp.MustCompile(`encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']`)

// toUTF8 decodes a feed document to UTF-8 and returns the name of the
// encoding it was decoded from. gofeed trusts only the XML declaration, so
// the rules of RFC 7303 and of every browser are applied here instead: a
// byte-order mark wins, then the HTTP charset, then the XML declaration,
// then sniffing (valid UTF-8 is UTF-8; anything else is read as
// windows-1252, the superset of ISO-8859-1 that servers mislabel most).
// One exception to the order: bytes that are valid UTF-8 and contain
// multi-byte sequences are UTF-8 whatever a label says, because legacy
// text almost never forms valid UTF-8 by chance while servers and
// templates label UTF-8 as ISO-8859-1 all the time.
// The declaration in the result is rewritten to say UTF-8, so the parser
// does not decode the bytes a second time.
func toUTF8(body []byte, contentType string) ([]byte, string, error) {
	enc, name, rest := bomEncoding(body)
	if name == "" { // no byte-order mark: the labels and sniffing decide
		enc, name = declaredEncoding(body, contentType)
		rest = body
	}
	var out []byte
	if enc == nil {
		out = rest
	} else {
		var err error
		out, err = enc.NewDecoder().Bytes(rest)
		if err != nil {
			return nil, name, fmt.Errorf("fetcher: decoding %s: %w", name, err)
		}
	}
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return rewriteDeclaration(out), name, nil
}

// bomEncoding recognises a byte-order mark, or the first bytes of a UTF-16
// or UTF-32 XML document without one. It returns the encoding's name ("" when
// there is no mark) and the bytes after the mark; the Encoding is nil for
// UTF-8, which needs no decoding.
func bomEncoding(b []byte) (encoding.Encoding, string, []byte) {
	switch {
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be", b[4:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le", b[4:]
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return nil, "utf-8", b[3:]
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", b[2:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", b[2:]
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x00, '<'}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be", b
	case bytes.HasPrefix(b, []byte{'<', 0x00, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le", b
	case bytes.HasPrefix(b, []byte{0x00, '<', 0x00, '?'}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", b
	case bytes.HasPrefix(b, []byte{'<', 0x00, '?', 0x00}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", b
	}
	return nil, "", b
}

// declaredEncoding picks the encoding from the HTTP charset, then the XML
// declaration, then sniffing. A nil Encoding means the bytes are UTF-8.
func declaredEncoding(body []byte, contentType string) (encoding.Encoding, string) {
	valid := utf8.Valid(body)
	if valid && hasMultibyte(body) {
		return nil, "utf-8"
	}
	for _, label := range []string{httpCharset(contentType), xmlDeclaredCharset(body)} {
		if label == "" {
			continue
		}
		enc, name := charset.Lookup(label)
		if enc == nil {
			continue // unknown label: try the next source
		}
		if name == "utf-8" || strings.HasPrefix(name, "utf-16") {
			// A declaration of UTF-16 in a document without a BOM whose
			// bytes are ASCII-compatible is wrong; and "UTF-8" on bytes
			// that are not UTF-8 is the commonest lie of all. Fall through
			// to sniffing in both cases.
			if valid {
				return nil, "utf-8"
			}
			continue
		}
		return enc, name
	}
	if valid {
		return nil, "utf-8"
	}
	if httpCharset(contentType) == "" && xmlDeclaredCharset(body) == "" {
		// Nothing declares the encoding: ask a statistical detector
		// (ICU's, ported) before guessing windows-1252.
		if enc, name := detectEncoding(body); enc != nil {
			return enc, name
		}
	}
	enc, name := charset.Lookup("windows-1252")
	return enc, name
}

// detectSample bounds the bytes the detector reads, and minDetectConfidence
// is the confidence (1-100) below which its answer is not taken.
const (
	detectSample        = 64 << 10
	minDetectConfidence = 30
)

// detectEncoding runs the charset detector over an undeclared document that
// is not UTF-8. It returns nil when the detector is unsure or names an
// encoding we cannot decode; Latin-1 answers are left to the windows-1252
// fallback, which is their superset.
func detectEncoding(body []byte) (encoding.Encoding, string) {
	res, err := chardet.NewHtmlDetector().DetectBest(body[:min(len(body), detectSample)])
	if err != nil || res == nil || res.Confidence < minDetectConfidence {
		return nil, ""
	}
	label := strings.ToLower(res.Charset)
	if label == "gb-18030" {
		label = "gb18030" // ICU's name; the WHATWG label has no hyphen
	}
	if label == "iso-8859-1" || label == "windows-1252" || strings.HasPrefix(label, "utf-") {
		return nil, ""
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, ""
	}
	return enc, name
}

// hasMultibyte reports whether b has any byte outside ASCII.
func hasMultibyte(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func httpCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(params["charset"]), `"'`)
}

func xmlDeclaredCharset(body []byte) string {
	decl := xmlDecl.Find(body[:min(len(body), 512)])
	if decl == nil {
		return ""
	}
	if m := xmlDeclEncoding.FindSubmatch(decl); m != nil {
		return string(m[1])
	}
	return ""
}

// rewriteDeclaration makes the XML declaration of an already-decoded
// document say UTF-8.
func rewriteDeclaration(b []byte) []byte {
	loc := xmlDecl.FindIndex(b[:min(len(b), 512)])
	if loc == nil {
		return b
	}
	decl := b[loc[0]:loc[1]]
	if !xmlDeclEncoding.Match(decl) {
		return b
	}
	fixed := xmlDeclEncoding.ReplaceAll(decl, []byte(`encoding="utf-8"`))
	out := make([]byte, 0, len(b)-len(decl)+len(fixed))
	out = append(out, b[:loc[0]]...)
	out = append(out, fixed...)
	return append(out, b[loc[1]:]...)
}

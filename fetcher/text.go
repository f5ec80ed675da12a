package fetcher

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wirefeed/wirefeed/internal/htmlsafe"
	"golang.org/x/text/encoding/charmap"
)

// Which text is markup. Atom says it in the type attribute of every text
// construct ("text", the default, "html", "xhtml"; Atom 0.3 used MIME
// types). RSS says nothing: its titles are, de facto, HTML-escaped text in
// some feeds and plain text in others, and feedparser decides per value
// with the rule in looksLikeMarkup, which readers have come to expect.
// Only text that is markup goes through the HTML-to-text conversion;
// plain text keeps every '<' it has ("5 < 7", "the <blink> tag").

// textKind is how a text value is to be read.
type textKind int

const (
	kindGuess textKind = iota // no type given (RSS): looksLikeMarkup decides
	kindPlain                 // plain text: nothing in it is markup
	kindHTML                  // HTML, entity-escaped or not
)

// atomTextKind reads an Atom type attribute. An absent type means text
// (RFC 4287 section 3.1.1).
func atomTextKind(typ string) textKind {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case t == "" || t == "text" || t == "text/plain":
		return kindPlain
	case t == "html" || t == "xhtml" || strings.Contains(t, "html") || strings.HasSuffix(t, "+xml"):
		return kindHTML
	case strings.HasPrefix(t, "text/"):
		return kindPlain
	}
	return kindHTML
}

var (
	closeTagRE  = regexp.MustCompile(`</(\w+)>`)
	entityRefRE = regexp.MustCompile(`&#?\w+;`)
	tagNameRE   = regexp.MustCompile(`</?(\w+)`)
	namedRefRE  = regexp.MustCompile(`&(\w+);`)
)

// htmlElements are the elements feedparser's sanitizer accepts; a value
// whose tags are all among them may be HTML.
var htmlElements = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`a abbr acronym address area article aside audio b big blockquote br
		button canvas caption center cite code col colgroup command datagrid datalist dd del details dfn
		dialog dir div dl dt em event-source fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6
		header hr i img input ins keygen kbd label legend li m map menu meter multicol nav nextid noscript
		ol output optgroup option p pre progress q s samp section select small sound source spacer span
		strike strong sub sup table tbody td textarea time tfoot th thead tr tt u ul var video`) {
		m[e] = true
	}
	return m
}()

// looksLikeMarkup is feedparser's rule for text of unknown type: it is HTML
// when it has a close tag or an entity reference, every tag in it is an
// HTML element, and every named entity is one HTML defines.
func looksLikeMarkup(s string) bool {
	if !closeTagRE.MatchString(s) && !entityRefRE.MatchString(s) {
		return false
	}
	for _, m := range tagNameRE.FindAllStringSubmatch(s, -1) {
		if !htmlElements[strings.ToLower(m[1])] {
			return false
		}
	}
	for _, m := range namedRefRE.FindAllString(s, -1) {
		if html.UnescapeString(m) == m {
			return false
		}
	}
	return true
}

// textLine returns a title-like value as one line of plain text, reading it
// as markup only when kind says so (or, for kindGuess, when it looks like
// markup), without the characters that spoof what a reader sees
// (htmlsafe.Label).
func textLine(s string, kind textKind) string {
	if kind == kindHTML || (kind == kindGuess && looksLikeMarkup(s)) {
		return plainLine(s)
	}
	return htmlsafe.Label(strings.Join(strings.Fields(foldParagraphs(s)), " "))
}

// cp1252Bytes maps the characters windows-1252 puts in 0x80-0x9F back to
// their bytes.
var cp1252Bytes = func() map[rune]byte {
	m := map[rune]byte{}
	for b := 0x80; b <= 0x9f; b++ {
		if r := charmap.Windows1252.DecodeByte(byte(b)); r != utf8.RuneError && r > 0xff {
			m[r] = byte(b)
		}
	}
	return m
}()

// mojibakePunct are windows-1252 punctuation marks that follow a capital
// letter in ordinary text ("CAFÉ—"); read as bytes such a pair is also
// valid UTF-8, so a value where one ends a two-byte sequence after a
// Latin-1 letter is left alone.
var mojibakePunct = map[rune]bool{'–': true, '—': true, '‘': true, '’': true, '“': true, '”': true, '…': true, '•': true}

// repairDoubleUTF8 undoes the commonest encoding accident: UTF-8 bytes read
// as Latin-1 or windows-1252 and encoded as UTF-8 again ("itâ€™s" for
// "it’s", "â€¦" for "…"). Like feedparser, it works on a whole value: when
// every character of s maps back to one byte and those bytes are valid
// UTF-8 with at least one multi-byte sequence, the value was encoded twice
// and the decoded bytes are returned; otherwise s is returned unchanged.
// Text in a single-byte language never forms valid UTF-8 that way except
// by a rare coincidence, which the mojibakePunct guard narrows further.
func repairDoubleUTF8(s string) string {
	multi := false
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			multi = true
			break
		}
	}
	if !multi {
		return s
	}
	b := make([]byte, 0, len(s))
	var prev rune
	for _, r := range s {
		switch {
		case r < 0x80:
			b = append(b, byte(r))
		case r <= 0xff:
			if strayContinuation(b, byte(r)) {
				return s
			}
			b = append(b, byte(r))
		default:
			c, ok := cp1252Bytes[r]
			if !ok || strayContinuation(b, c) {
				return s
			}
			if mojibakePunct[r] && prev >= 0xc4 && prev <= 0xdf {
				return s // "É—": a capital and a dash, not a sequence
			}
			b = append(b, c)
		}
		prev = r
	}
	if !utf8.Valid(b) {
		return s
	}
	out := string(b)
	if strings.ContainsFunc(out, isC1) {
		return s // decoded into control characters: not text
	}
	return out
}

// strayContinuation reports whether c, appended to b, is a UTF-8
// continuation byte where none can be (at the start, or after an ASCII
// byte): then b is not UTF-8 whatever follows, and the text was not
// encoded twice ("it’s" as most text with curly quotes has it), which
// repairDoubleUTF8 can tell without reading the rest.
func strayContinuation(b []byte, c byte) bool {
	return c >= 0x80 && c < 0xc0 && (len(b) == 0 || b[len(b)-1] < 0x80)
}

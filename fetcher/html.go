package fetcher

import (
	"bytes"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wirefeed/wirefeed/internal/htmlsafe"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/encoding/charmap"
)

// sanitizeHTML returns raw with active content removed and relative links
// resolved against base. It is what the merged feed may carry.
func sanitizeHTML(raw string, base *url.URL) string {
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	clean := htmlsafe.Sanitize(fixC1(raw))
	if base == nil || !strings.ContainsAny(clean, "=") {
		return strings.TrimSpace(clean)
	}
	return strings.TrimSpace(resolveLinks(clean, base))
}

// sanitizeWithText returns what sanitizeHTML(raw, base) returns and its
// text, htmlToText of it, reading the sanitised HTML once: links are
// resolved and text is gathered in the same pass (issue 13: the body was
// tokenized three times, by the sanitiser, for links and for text).
func sanitizeWithText(raw string, base *url.URL) (string, string) {
	if strings.TrimSpace(raw) == "" {
		return "", htmlToText("")
	}
	clean := htmlsafe.Sanitize(fixC1(raw))
	if !strings.ContainsAny(clean, "<&") {
		clean = strings.TrimSpace(clean)
		return clean, foldParagraphs(clean)
	}
	resolve := base != nil && strings.ContainsAny(clean, "=")
	if text, h, ok := sanitizedFast(clean, base, resolve); ok {
		return strings.TrimSpace(h), foldParagraphs(text)
	}
	return tokenizedWithText(clean, base, resolve)
}

// tokenizedWithText is sanitizeWithText's pass over the sanitised HTML
// with the tokenizer, for what sanitizedFast does not read.
func tokenizedWithText(clean string, base *url.URL, resolve bool) (string, string) {
	z := html.NewTokenizer(strings.NewReader(clean))
	var out bytes.Buffer
	if resolve {
		out.Grow(len(clean) + 64)
	}
	var text strings.Builder
	text.Grow(len(clean))
	skip := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			h := clean
			if resolve {
				h = out.String()
			}
			return strings.TrimSpace(h), foldParagraphs(text.String())
		}
		raw := z.Raw()
		switch tt {
		case html.TextToken:
			if resolve {
				out.Write(raw)
			}
			if skip == 0 {
				text.Write(z.Text())
			}
			continue
		case html.StartTagToken, html.SelfClosingTagToken:
			if resolve && hasLinkAttr(raw) {
				t := z.Token()
				if resolveAttrs(&t, base) {
					out.WriteString(t.String())
				} else {
					out.Write(z.Raw()) // as resolveLinks writes it
				}
				textBreak(&text, &skip, tt, t.DataAtom)
				continue
			}
			name, _ := z.TagName() // lower-cases the name in raw, as Token does
			if resolve {
				out.Write(raw) // nothing to resolve: as resolveLinks writes it
			}
			textBreak(&text, &skip, tt, atom.Lookup(name))
			continue
		case html.EndTagToken:
			if resolve {
				out.Write(raw)
			}
			name, _ := z.TagName()
			textBreak(&text, &skip, tt, atom.Lookup(name))
			continue
		}
		if resolve {
			out.Write(raw)
		}
	}
}

// hasLinkAttr reports whether a raw start tag may have an href or src
// attribute, in any case: a tag without one needs no Token (which copies
// and unescapes every attribute) to be written as it came.
func hasLinkAttr(raw []byte) bool {
	for i := 1; i+3 <= len(raw); i++ {
		switch raw[i] | 0x20 {
		case 'h':
			if i+4 <= len(raw) && raw[i+1]|0x20 == 'r' && raw[i+2]|0x20 == 'e' && raw[i+3]|0x20 == 'f' {
				return true
			}
		case 's':
			if raw[i+1]|0x20 == 'r' && raw[i+2]|0x20 == 'c' {
				return true
			}
		}
	}
	return false
}

// textBreak does to the text what htmlToText does for a tag: paragraph
// breaks at block elements, nothing inside elements without readable text.
func textBreak(b *strings.Builder, skip *int, tt html.TokenType, a atom.Atom) {
	switch tt {
	case html.StartTagToken, html.SelfClosingTagToken:
		if skipElements[a] && tt == html.StartTagToken {
			*skip++
		} else if blockElements[a] {
			b.WriteString("\n\n")
		}
	case html.EndTagToken:
		if skipElements[a] {
			if *skip > 0 {
				*skip--
			}
		} else if blockElements[a] {
			b.WriteString("\n\n")
		}
	}
}

// resolveLinks rewrites href and src attributes to absolute URLs.
func resolveLinks(s string, base *url.URL) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b bytes.Buffer
	b.Grow(len(s) + 64)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if resolveAttrs(&t, base) {
				b.WriteString(t.String())
			} else {
				b.Write(z.Raw())
			}
		default:
			b.Write(z.Raw())
		}
	}
}

// resolveAttrs makes the token's href and src attributes absolute against
// base, and tells whether any of them changed.
func resolveAttrs(t *html.Token, base *url.URL) bool {
	changed := false
	for i, a := range t.Attr {
		if a.Key != "href" && a.Key != "src" {
			continue
		}
		if abs := resolveRef(a.Val, base); abs != a.Val {
			t.Attr[i].Val = abs
			changed = true
		}
	}
	return changed
}

func resolveRef(ref string, base *url.URL) string {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil || u.IsAbs() {
		return ref
	}
	return base.ResolveReference(u).String()
}

// blockElements end a paragraph of plain text.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Td: true,
	atom.Th: true, atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Figure: true, atom.Figcaption: true, atom.Hr: true, atom.Dd: true, atom.Dt: true,
	atom.Aside: true, atom.Nav: true, atom.Main: true,
}

// skipElements hold no readable text.
var skipElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Svg: true, atom.Head: true, atom.Title: true,
}

// htmlToText returns the readable text of an HTML fragment: entities decoded,
// whitespace folded within a paragraph, paragraphs separated by a blank
// line. Plain text without markup passes through with its entities decoded.
func htmlToText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return foldParagraphs(s)
	}
	if text, _, ok := sanitizedFast(s, nil, false); ok {
		return foldParagraphs(text)
	}
	return htmlToTextTokenized(s)
}

// htmlToTextTokenized is htmlToText with the tokenizer, for what
// sanitizedFast does not read.
func htmlToTextTokenized(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return foldParagraphs(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipElements[a] && tt == html.StartTagToken {
				skip++
			} else if blockElements[a] {
				b.WriteString("\n\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipElements[a] {
				if skip > 0 {
					skip--
				}
			} else if blockElements[a] {
				b.WriteString("\n\n")
			}
		}
	}
}

// fixC1 maps C1 control characters (U+0080 to U+009F) to the windows-1252
// characters they stand for. Feeds write curly quotes and dashes as
// `&#146;` and the like, which XML decodes to a C1 control no reader can
// show; HTML5 parsers and feedparser ("demoronize") do the same mapping.
func fixC1(s string) string {
	if !hasC1(s) {
		return s
	}
	return strings.Map(fromC1, s)
}

// hasC1 reports whether s has a C1 control character: in UTF-8 the bytes
// C2 80 to C2 9F, found without decoding every character of a body.
func hasC1(s string) bool {
	for {
		i := strings.IndexByte(s, 0xc2)
		if i < 0 || i+1 >= len(s) {
			return false
		}
		if c := s[i+1]; c >= 0x80 && c <= 0x9f {
			return true
		}
		s = s[i+1:]
	}
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// fromC1 maps one rune as fixC1 does; -1 drops it.
func fromC1(r rune) rune {
	if !isC1(r) {
		return r
	}
	if m := charmap.Windows1252.DecodeByte(byte(r)); m != utf8.RuneError && !isC1(m) {
		return m
	}
	return -1 // the five bytes windows-1252 leaves undefined
}

// foldParagraphs folds runs of white space to one space inside a paragraph
// and keeps blank-line paragraph breaks (a single newline in source text is
// only wrapping). NBSP and other Unicode spaces count as white space.
func foldParagraphs(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace, pendingBreak := false, false
	newlines := 0
	for i := 0; i < len(s); {
		// ASCII, nearly all of most bodies, byte by byte.
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch c {
			case 0:
			case '\n':
				newlines++
				if newlines >= 2 {
					pendingBreak = true
				}
				pendingSpace = true
			case ' ', '\t', '\v', '\f', '\r':
				pendingSpace = true
			default:
				newlines = 0
				if b.Len() > 0 {
					if pendingBreak {
						b.WriteString("\n\n")
					} else if pendingSpace {
						b.WriteByte(' ')
					}
				}
				pendingSpace, pendingBreak = false, false
				// The rest of a run of such characters goes as it is.
				j := i
				for j < len(s) && plainASCII[s[j]] {
					j++
				}
				b.WriteString(s[i-1 : j])
				i = j
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
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

// plainASCII marks the ASCII bytes foldParagraphs copies as they are:
// all but NUL and white space.
var plainASCII = func() (t [256]bool) {
	for c := 1; c < utf8.RuneSelf; c++ {
		t[c] = !strings.ContainsRune(" \t\n\v\f\r", rune(c))
	}
	return t
}()

// plainLine returns s as a single line of plain text: markup removed,
// entities decoded, all white space folded to single spaces, and the
// characters that spoof what a reader sees (bidirectional overrides,
// noncharacters; see htmlsafe.Label) dropped. Titles, author names and
// categories go through it.
func plainLine(s string) string {
	t := htmlToText(s)
	return htmlsafe.Label(strings.Join(strings.Fields(t), " "))
}

package fetcher

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// sanitizedFast is the tokenizer loop of sanitizeWithText for the HTML
// that the sanitiser writes, read with a byte scanner: text runs between
// tags, end tags, and start tags whose attributes are all key="value",
// with lower-case names, and whose values' entities end with their
// semicolon (&amp;, &#39; ...). The tokenizer copied the document into its
// own buffer and read it a byte at a time: this pass was a third of
// sanitizeWithText (issue 13).
//
// It returns the text as sanitizeWithText gathers it (before
// foldParagraphs), the HTML with its links resolved (when resolve), and
// ok. At anything outside that subset (a comment, a raw-text element, an
// unquoted, valueless or repeated attribute, a carriage return, an
// upper-case name, an entity without its semicolon in a value) it returns
// ok false, and the tokenizer reads the document. Where it reads one, the
// two agree (TestSanitizedFastAgreesWithTokenizer, FuzzSanitizedFast).
func sanitizedFast(clean string, base *url.URL, resolve bool) (text, h string, ok bool) {
	if strings.IndexByte(clean, '\r') >= 0 || strings.IndexByte(clean, 0) >= 0 {
		return "", "", false // the tokenizer converts these
	}
	var out bytes.Buffer
	if resolve {
		out.Grow(len(clean) + 64)
	}
	var b strings.Builder
	b.Grow(len(clean))
	skip := 0
	for i := 0; i < len(clean); {
		j := strings.IndexByte(clean[i:], '<')
		if j < 0 {
			j = len(clean)
		} else {
			j += i
		}
		if j > i {
			run := clean[i:j]
			if skip == 0 {
				// UnescapeString decodes as the tokenizer decodes text.
				b.WriteString(html.UnescapeString(run))
			}
			if resolve {
				out.WriteString(run)
			}
			if j == len(clean) {
				break
			}
		}
		t, n := scanTag(clean[j:])
		if n == 0 {
			return "", "", false
		}
		raw := clean[j : j+n]
		i = j + n
		if t.Type == html.EndTagToken {
			if resolve {
				out.WriteString(raw)
			}
			textBreak(&b, &skip, t.Type, t.DataAtom)
			continue
		}
		if resolve {
			if hasLinkAttr([]byte(raw)) && resolveAttrs(&t, base) {
				out.WriteString(t.String())
			} else {
				out.WriteString(raw)
			}
		}
		textBreak(&b, &skip, t.Type, t.DataAtom)
	}
	h = clean
	if resolve {
		h = out.String()
	}
	return b.String(), h, true
}

// scanTag reads the tag that s opens, as the tokenizer would give it
// (html.Token: name and attribute keys as written, values unescaped), and
// returns it with its length in bytes; 0 when the tag is outside what
// sanitizedFast reads.
func scanTag(s string) (html.Token, int) {
	var t html.Token
	i := 1
	t.Type = html.StartTagToken
	if i < len(s) && s[i] == '/' {
		t.Type = html.EndTagToken
		i++
	}
	start := i
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || i > start && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == start || i == len(s) {
		return t, 0
	}
	name := s[start:i]
	if t.Type == html.StartTagToken && rawTextElement(name) {
		return t, 0 // the tokenizer reads what follows as raw text
	}
	if t.DataAtom = atom.Lookup([]byte(name)); t.DataAtom != 0 {
		t.Data = t.DataAtom.String()
	} else {
		t.Data = name
	}
	if t.Type == html.EndTagToken {
		if s[i] != '>' {
			return t, 0
		}
		return t, i + 1
	}
	for {
		switch {
		case i+1 < len(s) && s[i] == '/' && s[i+1] == '>':
			t.Type = html.SelfClosingTagToken
			return t, i + 2
		case s[i] == '>':
			return t, i + 1
		case s[i] != ' ':
			return t, 0
		}
		i++ // the space
		k := i
		for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || i > k && (s[i] == '-' || s[i] == '_' || s[i] == ':' || s[i] >= '0' && s[i] <= '9')) {
			i++
		}
		if i == k || i+1 >= len(s) || s[i] != '=' || s[i+1] != '"' {
			return t, 0
		}
		key := s[k:i]
		for _, a := range t.Attr {
			if a.Key == key {
				return t, 0 // the tokenizer keeps the first only
			}
		}
		i += 2
		end := strings.IndexByte(s[i:], '"')
		if end < 0 {
			return t, 0
		}
		val := s[i : i+end]
		if strings.IndexByte(val, '&') >= 0 {
			if !entitiesComplete(val) {
				return t, 0
			}
			val = html.UnescapeString(val)
		}
		t.Attr = append(t.Attr, html.Attribute{Key: key, Val: val})
		i += end + 1
		if i >= len(s) {
			return t, 0
		}
	}
}

// rawTextElement reports whether the tokenizer reads the content of an
// element of that (lower-case) name as raw text or RCDATA.
func rawTextElement(name string) bool {
	switch name {
	case "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp":
		return true
	}
	return false
}

// entitiesComplete reports whether every '&' in s opens a character
// reference that ends with its semicolon, which an attribute value decodes
// as text does (html.UnescapeString): a decimal or hexadecimal one, or one of the few
// names the sanitiser writes.
func entitiesComplete(s string) bool {
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			return true
		}
		s = s[i+1:]
		n := 0
		switch {
		case strings.HasPrefix(s, "#x") || strings.HasPrefix(s, "#X"):
			for n = 2; n < len(s) && n < 10 && isHexDigit(s[n]); n++ {
			}
			if n == 2 {
				return false
			}
		case strings.HasPrefix(s, "#"):
			for n = 1; n < len(s) && n < 10 && s[n] >= '0' && s[n] <= '9'; n++ {
			}
			if n == 1 {
				return false
			}
		case strings.HasPrefix(s, "amp;"), strings.HasPrefix(s, "lt;"), strings.HasPrefix(s, "gt;"),
			strings.HasPrefix(s, "quot;"), strings.HasPrefix(s, "apos;"), strings.HasPrefix(s, "nbsp;"):
			n = strings.IndexByte(s, ';')
		default:
			return false
		}
		if n >= len(s) || s[n] != ';' {
			return false
		}
		s = s[n+1:]
	}
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

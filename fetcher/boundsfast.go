package fetcher

import "bytes"

// xmlWithinBounds reports whether a byte scan, without decoding anything,
// shows that b is within the bounds checkXMLBounds enforces; false means
// only "not shown", and the decoder pass decides (issue 13: that pass
// decoded every text and attribute and cost a fifth of a parse).
//
// The scan reads the plain XML nearly every feed is written in: start and
// end tags with quoted attribute values, comments, CDATA sections and
// processing instructions. At the first thing outside that (a DOCTYPE or
// other declaration, an end tag that does not close the open element, an
// attribute without a quoted value, a name that is not ASCII, a '<' in a
// value, a comment that checkTags would end elsewhere) it gives up, so
// what it counts is what encoding/xml's lenient decoder reads, token for
// token, up to the place where the decoder would stop on a syntax error
// (where the decoder pass stops too). Every figure is at least the
// decoder pass's: depth, elements and attributes, namespace declarations
// in scope, attributes per tag (checkTags), and the text joined per
// element, which it counts for every element as if all were extensions,
// in raw bytes (decoding entities only shortens text).
func xmlWithinBounds(b []byte, maxDepth, budget int) bool {
	type open struct {
		name       []byte
		namespaces int
		text       int
	}
	var stack []open
	elements, inScope, copied := 0, 0, 0
	copyBudget := textCopyBudget(len(b))
	// piece accounts for one CharData token of n bytes.
	piece := func(n int) bool {
		if len(stack) == 0 {
			return true
		}
		top := &stack[len(stack)-1]
		top.text += n
		copied += top.text
		return copied <= copyBudget
	}
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return piece(len(b) - i)
		}
		if j > 0 && !piece(j) {
			return false
		}
		i += j
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			// encoding/xml ends a comment at its first "--", which must
			// be followed by '>'; checkTags at the first "-->" after "<!".
			k := bytes.Index(rest[4:], []byte("--"))
			if k < 0 || 4+k+2 >= len(rest) || rest[4+k+2] != '>' ||
				bytes.Index(rest[2:], []byte("-->")) != 2+k {
				return false
			}
			i += 4 + k + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			k := bytes.Index(rest[9:], []byte("]]>"))
			if k < 0 || !piece(k) {
				return false
			}
			i += 9 + k + 3
		case bytes.HasPrefix(rest, []byte("<?")):
			k := bytes.Index(rest[2:], []byte("?>"))
			if xmlNameLen(rest[2:]) == 0 || k < 0 {
				return false
			}
			i += 2 + k + 2
		case bytes.HasPrefix(rest, []byte("<!")):
			return false // a declaration: the decoder reads those in its own way
		case bytes.HasPrefix(rest, []byte("</")):
			n := xmlNameLen(rest[2:])
			p := skipXMLSpace(rest, 2+n)
			if n == 0 || p >= len(rest) || rest[p] != '>' || len(stack) == 0 ||
				!bytes.Equal(stack[len(stack)-1].name, rest[2:2+n]) {
				return false
			}
			inScope -= stack[len(stack)-1].namespaces
			stack = stack[:len(stack)-1]
			i += p + 1
		default:
			n := xmlNameLen(rest[1:])
			if n == 0 {
				return false
			}
			attrs, namespaces, empty := 0, 0, false
			p := 1 + n
		tag:
			for {
				p = skipXMLSpace(rest, p)
				if p >= len(rest) {
					return false
				}
				switch rest[p] {
				case '>':
					p++
					break tag
				case '/':
					if p+1 >= len(rest) || rest[p+1] != '>' {
						return false
					}
					p, empty = p+2, true
					break tag
				}
				an := xmlNameLen(rest[p:])
				if an == 0 {
					return false
				}
				name := rest[p : p+an]
				q := skipXMLSpace(rest, p+an)
				if q >= len(rest) || rest[q] != '=' {
					return false
				}
				q = skipXMLSpace(rest, q+1)
				if q >= len(rest) || (rest[q] != '"' && rest[q] != '\'') {
					return false
				}
				e := bytes.IndexByte(rest[q+1:], rest[q])
				if e < 0 || bytes.IndexByte(rest[q+1:q+1+e], '<') >= 0 {
					return false
				}
				if attrs++; attrs > MaxAttributes {
					return false
				}
				if bytes.Equal(name, []byte("xmlns")) || bytes.HasPrefix(name, []byte("xmlns:")) {
					namespaces++
				}
				p = q + 1 + e + 1
			}
			if len(stack) == maxDepth {
				return false
			}
			if elements += 1 + attrs; elements > budget {
				return false
			}
			if inScope += namespaces; inScope > MaxNamespaces {
				return false
			}
			if empty {
				inScope -= namespaces
			} else {
				stack = append(stack, open{name: rest[1 : 1+n], namespaces: namespaces})
			}
			i += p
		}
	}
	return true
}

// xmlNameLen returns the length of the XML name b starts with, as
// encoding/xml reads one, or 0 when b does not start with a name this scan
// knows the decoder takes: ASCII only, starting with a letter or '_', at
// most one ':' and not at either end.
func xmlNameLen(b []byte) int {
	n, colons := 0, 0
	for n < len(b) {
		c := b[n]
		if c >= 0x80 {
			return 0
		}
		if !isNameByte(c) {
			break
		}
		if c == ':' {
			colons++
		}
		n++
	}
	if n == 0 || colons > 1 || b[n-1] == ':' {
		return 0
	}
	if c := b[0]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
		return 0
	}
	return n
}

// isNameByte is encoding/xml's test for an ASCII byte of a name.
func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// skipXMLSpace returns the index of the first byte of b at or after i that
// is not XML white space.
func skipXMLSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

package store

import (
	"strconv"
	"strings"

	"github.com/wirefeed/wirefeed/internal/searchtext"
)

// Search on PostgreSQL: the same words as on SQLite (internal/searchtext
// folds them, in Go, for both), kept in a tsvector the store writes as a
// literal, so no parser, dictionary or stemming of PostgreSQL's changes
// them, and searched with a phrase query (<->) written the same way. A
// term therefore finds on PostgreSQL the items it finds on SQLite, with
// two limits of the tsvector type: positions stop at 16383 (words further
// into an item are found alone but not as phrases) and a word longer than
// 2046 bytes is not indexed (nor found).

const (
	pgMaxPos      = 16383 // the highest position a tsvector keeps
	pgMaxLexeme   = 2046  // bytes
	pgMaxPosition = 255   // positions kept per word (tsvector keeps 256)
)

// pgVector returns the tsvector literal of an item's title, summary and
// text: each word with its positions, the fields' positions two apart so
// that no phrase spans two of them.
func pgVector(fields ...string) string {
	pos := map[string][]int{}
	var order []string
	p := 0
	for _, f := range fields {
		for _, w := range searchtext.Tokens(f) {
			p++
			if len(w) > pgMaxLexeme || p > pgMaxPos {
				continue
			}
			if _, ok := pos[w]; !ok {
				order = append(order, w)
			}
			if len(pos[w]) < pgMaxPosition {
				pos[w] = append(pos[w], p)
			}
		}
		p++ // a gap between fields
	}
	var b strings.Builder
	for i, w := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		pgQuote(&b, w)
		for j, n := range pos[w] {
			if j == 0 {
				b.WriteByte(':')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(n))
		}
	}
	return b.String()
}

// pgPhrase returns the tsquery literal that matches the words of term in
// order (a term ending in '*' matches words that start with its last
// word), as searchtext.Phrase does for FTS5; "" when term has no word that
// can be indexed.
func pgPhrase(term string) string {
	prefix := strings.HasSuffix(term, "*")
	words := searchtext.Tokens(strings.TrimSuffix(term, "*"))
	if len(words) == 0 {
		return ""
	}
	var b strings.Builder
	for i, w := range words {
		if len(w) > pgMaxLexeme {
			return ""
		}
		if i > 0 {
			b.WriteString(" <-> ")
		}
		pgQuote(&b, w)
	}
	if prefix {
		b.WriteString(":*")
	}
	return b.String()
}

// pgQuote writes w as a quoted lexeme.
func pgQuote(b *strings.Builder, w string) {
	b.WriteByte('\'')
	for _, r := range w {
		switch r {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
}

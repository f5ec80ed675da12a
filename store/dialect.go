package store

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The store's SQL is written once, for both backends: SQLite's placeholders
// (? and ?N), types and functions that both databases have, ON CONFLICT,
// RETURNING, CASE. On PostgreSQL (postgres.go) each statement's text is
// rewritten to its placeholders ($N) once, and arguments are converted to
// the types of the store's columns (a Go bool is stored as 0 or 1, as
// SQLite stores it). What differs beyond that (search, the change log's
// position, the database's size, checkpoints) is chosen by Store.pg where
// it is done.

// rebind returns q with each ? as $1, $2... in order and each ?N as $N,
// outside quoted strings and identifiers.
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(q[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// rebound caches rebind for the texts the store runs over and over (its
// dynamic story queries are a few shapes).
var rebound sync.Map // string -> string

func pgText(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	r := rebind(q)
	rebound.Store(q, r)
	return r
}

// pgArgs converts args for PostgreSQL: a bool becomes 0 or 1, what the
// store's integer flag columns hold (SQLite converts it so itself), and a
// string that PostgreSQL's text would refuse (a NUL character, which a
// JSON feed may carry as \u0000, or bytes that are not UTF-8) has those
// replaced by U+FFFD, so that such a feed is stored rather than failed.
// The caller's slice is not changed.
func pgArgs(args []any) []any {
	var out []any
	for i, a := range args {
		var conv any
		switch v := a.(type) {
		case bool:
			conv = int64(0)
			if v {
				conv = int64(1)
			}
		case string:
			if strings.IndexByte(v, 0) < 0 && utf8.ValidString(v) {
				continue
			}
			conv = strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
		default:
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = conv
	}
	if out == nil {
		return args
	}
	return out
}

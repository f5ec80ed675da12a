package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/searchtext"
)

// searchVersion is the version of internal/searchtext's normalisation the
// search index must be built with. Raising it rebuilds the index at the
// next Open. 2: vowel points of Arabic-script and Hebrew letters removed.
const searchVersion = 2

// indexItem writes the item's row of the search index. With replace, the
// row it had is removed first (an updated item); a new item has none, since
// the delete trigger removes a row with its item.
func indexItem(ctx context.Context, tx *txn, id int64, title, summary, text string, replace bool) error {
	if tx.pg() {
		_, err := tx.exec(ctx, `INSERT INTO items_search (item_id, words) VALUES (?, ?::tsvector)
			ON CONFLICT (item_id) DO UPDATE SET words = excluded.words`, id, pgVector(title, summary, text))
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		return nil
	}
	if replace {
		if _, err := tx.exec(ctx, `DELETE FROM items_search WHERE rowid = ?`, id); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO items_search (rowid, words) VALUES (?, ?)`,
		id, searchWords(searchtext.Normalize(title), searchtext.Normalize(summary), searchtext.Normalize(text)))
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}

// searchRow is an item's row of the search index, waiting for the end of
// its transaction.
type searchRow struct {
	id                   int64
	title, summary, text string
	replace              bool
}

// indexLater queues the item's row of the search index, written by
// flushSearch. FTS5 writes the rows it holds in memory to disk whenever a
// statement of the transaction opens a savepoint (any statement that may
// change several rows or fires a trigger does), so index rows written item
// by item were flushed item by item, each a tiny segment that the next
// ones had to merge: recording 10,000 items took 80 CPU seconds. Written
// last, a feed's rows are one segment.
func (t *txn) indexLater(id int64, title, summary, text string, replace bool) {
	t.search = append(t.search, searchRow{id, title, summary, text, replace})
}

// flushSearch writes the queued rows of the search index. It is the last
// thing a transaction writes.
func (t *txn) flushSearch(ctx context.Context) error {
	for _, r := range t.search {
		if r.id < t.searchBelow {
			continue // the rebuild indexes it, with the text it has then (rebuild.go)
		}
		if err := indexItem(ctx, t, r.id, r.title, r.summary, r.text, r.replace); err != nil {
			return err
		}
	}
	t.search = t.search[:0]
	return nil
}

// searchCondition is the SQL condition, on stories aliased c, that some
// member matches term, and its argument. A term without words matches
// nothing. On PostgreSQL (pg) the index is items_search's tsvector
// (pgsearch.go), which answers phrases itself. On SQLite the index knows
// which words an item has, not in what order: the condition selects the
// stories where some member has all the words of term, and a term of more
// than one word is checked on them (searchPhrases).
func searchCondition(pg bool, term string) (string, []any) {
	if pg {
		phrase := pgPhrase(term)
		if phrase == "" {
			return "1 = 0", nil
		}
		return `c.id IN (SELECT i.cluster_id FROM items_search s JOIN items i ON i.id = s.item_id WHERE s.words @@ ?::tsquery)`,
			[]any{phrase}
	}
	p := newSearchPhrase(term)
	if p.words == "" {
		return "1 = 0", nil
	}
	return `c.id IN (SELECT i.cluster_id FROM items_search s JOIN items i ON i.id = s.rowid WHERE items_search MATCH ?)`,
		[]any{ftsAllWords(strings.Split(p.words, " "), p.prefix)}
}

// searchPhrase is a search term as the index and the check read it: its
// words, normalised and joined by single spaces, and whether the last of
// them is a prefix (the term ends in '*').
type searchPhrase struct {
	words  string
	prefix bool
}

func newSearchPhrase(term string) searchPhrase {
	term = strings.TrimSpace(term)
	prefix := strings.HasSuffix(term, "*")
	return searchPhrase{words: searchtext.Normalize(strings.TrimSuffix(term, "*")), prefix: prefix}
}

// searchPhrases returns the terms of a search on SQLite whose order the
// index cannot tell: those of more than one word. The stories the index
// finds for them are kept only when some member has the words of each one
// after another (matchesPhrases).
func searchPhrases(pg bool, terms []string) []searchPhrase {
	if pg {
		return nil
	}
	var out []searchPhrase
	for _, t := range terms {
		if p := newSearchPhrase(t); strings.Contains(p.words, " ") {
			out = append(out, p)
		}
	}
	return out
}

// maxSearchRejects bounds the candidate stories one Stories call checks
// and rejects for phrases (a common word in a phrase that rarely matches
// finds candidates in most of history, and each costs reading its members'
// texts). A search that reaches it returns the stories found among the
// candidates checked, newest first: a short page, with no next page.
var maxSearchRejects = 2000 // tests lower it

// matchesPhrases reports whether, for each phrase, some member of st has
// its words one after another in its title, summary or text, as
// migration 0009's index, which kept positions, found them.
func matchesPhrases(st *wirefeed.Story, phrases []searchPhrase) bool {
	fields := make([][3]string, len(st.Members))
	read := make([]bool, len(st.Members))
	for _, p := range phrases {
		found := false
		for i := range st.Members {
			if !read[i] {
				m := &st.Members[i]
				fields[i] = [3]string{searchtext.Normalize(m.Title), searchtext.Normalize(m.Summary), searchtext.Normalize(m.Text)}
				read[i] = true
			}
			for _, f := range fields[i] {
				if searchtext.HasPhrase(f, p.words, p.prefix) {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// searchWords is what the search index holds for an item, from its title,
// summary and text as searchtext.Normalize gives them: the three joined,
// without the summary when the title or the text holds it already (a
// summary is mostly the text's opening). The index keeps which words an
// item has, not where (detail=none), so a word that comes again adds
// nothing to it, only work.
func searchWords(title, summary, text string) string {
	if searchtext.HasPhrase(text, summary, false) || searchtext.HasPhrase(title, summary, false) {
		summary = ""
	}
	var b strings.Builder
	b.Grow(len(title) + len(summary) + len(text) + 2)
	for _, f := range []string{title, summary, text} {
		if f == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String()
}

// ftsAllWords is the FTS5 query for items that have all of words, the last
// of them as a prefix when prefix is set. Words hold only letters, digits
// and marks (searchtext): nothing to escape.
func ftsAllWords(words []string, prefix bool) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + w + `"`)
	}
	if prefix {
		b.WriteByte('*')
	}
	return b.String()
}

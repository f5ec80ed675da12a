package store

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/searchtext"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// scriptItems are items in the scripts searchtext treats apart: Han, kana
// and Hangul (cut into characters), Thai, Arabic, Cyrillic, Greek, Latin
// with accents, and Devanagari (words with marks).
var scriptItems = []struct{ title, text string }{
	{"南海局势紧张", "中国与菲律宾外长周二在马尼拉会面，讨论南海紧张局势。"},
	{"東京で首脳会談", "日本と韓国の首脳が東京で会談し、北朝鮮のミサイル発射について協議した。"},
	{"서울 정상회담", "한국과 일본 정상이 서울에서 만나 북한 문제를 논의했다."},
	{"ประชุมที่กรุงเทพ", "รัฐมนตรีต่างประเทศอาเซียนประชุมที่กรุงเทพเพื่อหารือเรื่องทะเลจีนใต้"},
	{"محادثات في القاهرة", "اجتمع وزراء الخارجية العرب في القاهرة لبحث الأوضاع في غزة."},
	{"Переговоры в Москве", "Делегации встретились в Москве. Переговоры продолжатся в Женеве."},
	{"Συνάντηση στην Αθήνα", "Οι υπουργοί Εξωτερικών συναντήθηκαν στην Αθήνα την Τρίτη."},
	{"Gipfel in Zürich", "Die Außenminister trafen sich in Zürich; São Paulo und Kraków folgen."},
	{"नई दिल्ली में बैठक", "भारत और जापान के विदेश मंत्रियों ने नई दिल्ली में मुलाकात की।"},
}

// scriptSearches are searches in those scripts, each of which some item
// above answers, and a few that none does.
var scriptSearches = [][]string{
	{"南海"}, {"南海局势"}, {"海局"}, {"南部海域"}, {"東京"}, {"首脳会談"}, {"北朝鮮の"}, {"서울"}, {"정상회담"},
	{"กรุงเทพ"}, {"ทะเลจีนใต้"}, {"القاهرة"}, {"وزراء الخارجية"}, {"غزة"},
	{"москве"}, {"МОСКВЕ"}, {"переговоры продолжатся"}, {"продолжатся переговоры"}, {"моск*"}, {"в моск*"},
	{"αθηνα"}, {"στην Αθήνα"}, {"zurich"}, {"sao paulo"}, {"krakow"}, {"aussenminister"},
	{"नई दिल्ली"}, {"दिल्ली"}, {"मंत्रियों"}, {"南海", "马尼拉"}, {"москве", "женеве"}, {"москве", "南海"},
}

// TestSearchSameAsPositionalIndex checks that the store's search, which
// asks the index for the words of each term and checks their order on the
// candidates, finds the stories migration 0009's index (unicode61, full
// detail: positions) found, in the same order and on the same pages: on
// the generated corpus (single words, phrases, prefixes, two terms, and
// misses: words present but never in that order, and a word nobody has)
// and on items in other scripts. The old index is built beside the new one
// from the same items, and queried as the store queried it.
func TestSearchSameAsPositionalIndex(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	corpus := fixtures.GenerateCorpus(fixtures.CorpusOptions{Feeds: 8, Items: 30, MinWords: 60, MaxWords: 200, Republished: 0.3})
	at := storiesT0
	var prev string
	var texts []string
	for fi, f := range corpus.Feeds {
		doc, err := fetcher.Parse(f.Body, f.ContentType, "https://"+f.Path, at, fetcher.Limits{})
		if err != nil {
			t.Fatalf("parse %s: %v", f.Name, err)
		}
		for i := range doc.Items {
			// One item in four joins the story of the item before it
			// (URLMatcher merges by URL): stories of several members.
			if i%4 == 3 && prev != "" {
				doc.Items[i].URL = prev
			}
			prev = doc.Items[i].URL
			texts = append(texts, doc.Items[i].Text)
		}
		if fi%3 == 0 {
			for i, sc := range scriptItems {
				doc.Items = append(doc.Items, item(fmt.Sprintf("script-%d-%d", fi, i), sc.title, sc.text, at))
			}
		}
		if _, err := s.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: f.Name, URL: "https://" + f.Path},
			Attempted: at, Status: 200, Items: doc.Items}); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Duration(fi%2) * time.Minute) // feeds two at a time: ties of first_seen
	}
	buildPositionalIndex(t, s)

	r := rand.New(rand.NewPCG(3, 4))
	searches := slices.Clone(scriptSearches)
	for len(searches) < len(scriptSearches)+120 {
		words := strings.Fields(searchtext.Normalize(texts[r.IntN(len(texts))]))
		k := 1 + r.IntN(3)
		i := r.IntN(len(words) - k + 1)
		term := strings.Join(words[i:i+k], " ")
		switch len(searches) % 6 {
		case 1: // a prefix
			if w := words[i+k-1]; len(w) > 3 {
				term = term[:len(term)-len(w)/2] + "*"
			}
		case 2: // the same words in another order: usually a miss
			rev := slices.Clone(words[i : i+k])
			slices.Reverse(rev)
			term = strings.Join(rev, " ")
		case 3: // two terms
			searches = append(searches, []string{term, words[r.IntN(len(words))]})
			continue
		}
		searches = append(searches, []string{term})
	}
	searches = append(searches, []string{"zqxnothing"}, []string{"the zqxnothing"})

	found, differs := 0, 0
	for _, terms := range searches {
		want := positionalSearch(t, s, terms)
		got := pagedSearch(t, s, terms, 7)
		if len(want) > 0 {
			found++
		}
		if !slices.Equal(got, want) {
			differs++
			t.Errorf("%q: found %d stories %v, the positional index %d %v", terms, len(got), firstIDs(got), len(want), firstIDs(want))
		}
	}
	if found < len(searches)/2 {
		t.Errorf("only %d of %d searches found anything: the test compares too little", found, len(searches))
	}
	t.Logf("%d searches, %d found stories, %d differ", len(searches), found, differs)
}

func firstIDs(ids []string) []string { return ids[:min(len(ids), 8)] }

// buildPositionalIndex adds migration 0009's search index, as 0009 made it
// and indexItem filled it, beside the store's, as old_search.
func buildPositionalIndex(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `CREATE VIRTUAL TABLE old_search USING fts5(title, summary, text,
		content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2')`); err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, body, summary, text FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id                   int64
		title, summary, text string
	}
	var all []row
	for rows.Next() {
		var r row
		var b itemBody
		if err := rows.Scan(&r.id, &r.title, &b.body, &b.summary, &b.text); err != nil {
			t.Fatal(err)
		}
		if r.summary, r.text, _, err = b.read(); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	for _, r := range all {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO old_search (rowid, title, summary, text) VALUES (?, ?, ?, ?)`,
			r.id, searchtext.Normalize(r.title), searchtext.Normalize(r.summary), searchtext.Normalize(r.text)); err != nil {
			t.Fatal(err)
		}
	}
}

// positionalSearch returns the ids of the stories the positional index
// finds for terms, newest first, as storyPageSQL asked it before 0017.
func positionalSearch(t *testing.T, s *Store, terms []string) []string {
	t.Helper()
	conds := []string{"1 = 1"}
	var args []any
	for _, term := range terms {
		prefix := strings.HasSuffix(term, "*")
		n := searchtext.Normalize(strings.TrimSuffix(term, "*"))
		if n == "" {
			conds = append(conds, "1 = 0")
			continue
		}
		q := `"` + n + `"`
		if prefix {
			q += "*"
		}
		conds = append(conds, `c.id IN (SELECT i.cluster_id FROM old_search s JOIN items i ON i.id = s.rowid WHERE old_search MATCH ?)`)
		args = append(args, q)
	}
	rows, err := s.db.Query(`SELECT c.id FROM clusters c WHERE `+strings.Join(conds, " AND ")+` ORDER BY c.first_seen DESC, c.id DESC`, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// pagedSearch returns the ids of the stories Stories finds for terms,
// read as feedout reads them: pages of size stories (asking one more to
// know whether there is a next page), each after the last of the one
// before.
func pagedSearch(t *testing.T, s *Store, terms []string, size int) []string {
	t.Helper()
	var ids []string
	var cursor *wirefeed.StoryCursor
	for {
		got, err := s.Stories(context.Background(), wirefeed.StoryQuery{Limit: size + 1, Terms: terms, Before: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range got[:min(len(got), size)] {
			ids = append(ids, st.ID)
		}
		if len(got) <= size {
			return ids
		}
		last := got[size-1]
		cursor = &wirefeed.StoryCursor{FirstSeen: last.FirstSeen, ID: last.ID}
	}
}

// TestSearchPhraseCheckIsBounded: a phrase whose words many stories have,
// but not in its order, is checked on at most maxSearchRejects stories
// that lack it per request; the request gets the stories found until
// then, newest first, and the store says so in its log.
func TestSearchPhraseCheckIsBounded(t *testing.T) {
	var logs strings.Builder
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), Options{Matcher: wirefeedtest.URLMatcher{},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Oldest first: a match, three that have the words in another
	// order, a match (punctuation is no word), three more, a match.
	texts := []string{"ended in Geneva", "Geneva: talks in it ended", "in Geneva, it ended", "ended: in Geneva?"}
	var items []wirefeed.Item
	for i, text := range []int{0, 1, 2, 1, 3, 2, 1, 2, 0} {
		items = append(items, item(fmt.Sprint("s", i), fmt.Sprint("Story ", i), "Talks "+texts[text]+" on Monday.", storiesT0.Add(time.Duration(i)*time.Minute)))
	}
	record(t, s, "Agency", items...)
	search := func() []string { return searchTitles(t, s, "ended in geneva") }
	if got, want := search(), []string{"Story 8", "Story 4", "Story 0"}; !slices.Equal(got, want) {
		t.Fatalf("unbounded: %q, want %q", got, want)
	}
	if strings.Contains(logs.String(), "search stopped") {
		t.Errorf("the bound was reported without being reached: %s", logs.String())
	}
	defer func(n int) { maxSearchRejects = n }(maxSearchRejects)
	maxSearchRejects = 5
	if got, want := search(), []string{"Story 8", "Story 4"}; !slices.Equal(got, want) {
		t.Errorf("after 5 rejects: %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "search stopped") || !strings.Contains(logs.String(), "found=2") {
		t.Errorf("the log does not say the search stopped with 2 found: %s", logs.String())
	}
	// A single word needs no check: the bound does not apply.
	if got := searchTitles(t, s, "geneva"); len(got) != 9 {
		t.Errorf("a word: %d stories, want 9", len(got))
	}
}

// TestSearchIndexHoldsSearchtextWords: the ascii tokenizer reads the
// normalised texts of every script as searchtext cuts them (the index's
// terms are searchtext's words, no more and no fewer), and a search
// finds a word of Thai or Devanagari only whole, as keyword rules do
// (searchtext.Contains). Migration 0009's unicode61 tokenizer cut such
// words again at their vowel signs and viramas, which it takes for
// separators, and found pieces of them: the last column says what it
// found.
func TestSearchIndexHoldsSearchtextWords(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	want := map[string]bool{}
	for i, sc := range scriptItems {
		record(t, s, "Agency", item(fmt.Sprint("s", i), sc.title, sc.text, storiesT0.Add(time.Duration(i)*time.Minute)))
		for _, w := range searchtext.Tokens(sc.title + " " + sc.text) {
			want[w] = true
		}
	}
	if _, err := s.db.ExecContext(ctx, `CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, items_search, 'row')`); err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT term FROM temp.vocab`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for rows.Next() {
		var term string
		if err := rows.Scan(&term); err != nil {
			t.Fatal(err)
		}
		got[term] = true
	}
	rows.Close()
	for w := range want {
		if !got[w] {
			t.Errorf("searchtext word %q (%+q) is not a term of the index", w, w)
		}
	}
	for w := range got {
		if !want[w] {
			t.Errorf("index term %q (%+q) is not a searchtext word", w, w)
		}
	}
	buildPositionalIndex(t, s)
	for _, tt := range []struct {
		term       string
		found, old bool
	}{
		{"南海", true, true},
		{"海南", false, false},
		{"東京で", true, true},
		{"서울에서", true, true},
		{"กรุงเทพ", true, true},
		{"ก", true, true},   // a character of its own
		{"ตร", false, true}, // ต is ตร only as ต with a vowel sign: ต่ (ต่างประเทศ)
		{"القاهرة", true, true},
		{"في القاهرة", true, true},
		{"москве", true, true},
		{"दिल्ली", true, true},
		{"दिल", false, true}, // a piece of दिल्ली, cut at its virama
		{"नई दिल्ली", true, true},
	} {
		if got := len(searchTitles(t, s, tt.term)) > 0; got != tt.found {
			t.Errorf("%q: found %v, want %v", tt.term, got, tt.found)
		}
		if old := len(positionalSearch(t, s, []string{tt.term})) > 0; old != tt.old {
			t.Errorf("%q: the positional index found %v, the test says %v", tt.term, old, tt.old)
		}
	}
}

package dedupe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/store"
)

// Benchmarks of the cost of one new item with 10k, 100k and 1M items in
// the window, and of the index's memory per item. Texts are generated:
// words drawn from a 30,000-word vocabulary with a Zipf distribution, in
// sentences and paragraphs of wire-copy length (40 to 600 words). A fifth
// of the new items are edited copies of an item in the window, so
// verification runs as it does on real feeds.
//
//	go test -run '^$' -bench 'Match' -benchtime 4000x -count 3 -cpu 1 ./dedupe
//
// (-benchtime times -count at most 16384: each new item is matched once).
//
// The 1M case takes about a minute to build its index and is skipped with
// -short. Candidates' texts come from an in-memory Lookup that regenerates
// them by id (the stand-in for the store's read); BenchmarkRecord measures
// the whole path through SQLite.

var benchBase = time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)

// cpuTime returns the CPU time the process has used. Per operation it is a
// steadier measure than wall time on a machine shared with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vocabulary is a fixed list of made-up words built from English
// syllables, so that unrelated titles share letter trigrams about as much
// as English ones do.
var vocabulary = func() []string {
	syl := strings.Fields(`a al an ar as at ba be bi bo ca ce ci co con cu da de di do dy e ed el em en
		er es ex fa fe fi fo fu ga ge gi go gra ha he hi ho hu i ic il im in ing ion is it ja jo ka ke ki
		la le li lo lu ly ma me mi mo mu na ne ni no nu o of ol om on or os ou pa pe pi po pro pu ra re ri
		ro ru sa se si so st su ta te ter th ti tion to tra tu u ul um un ur us va ve vi vo wa we wi wo ya
		yo za ze zi zo ment ness ship land stan ber ford ton ville ia ese ish`)
	r := rand.New(rand.NewPCG(7, 7))
	seen := map[string]bool{}
	var out []string
	for len(out) < 30000 {
		var b strings.Builder
		for range 1 + r.IntN(4) {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}()

// genItem returns the generated item with this id, always the same. Two
// in five items are title-only, as in real feeds.
func genItem(id int64) (title, text string) {
	r := rand.New(rand.NewPCG(uint64(id), 0xbe7c))
	z := rand.NewZipf(r, 1.07, 2, uint64(len(vocabulary)-1))
	sentence := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocabulary[z.Uint64()]
		}
		ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
		return strings.Join(ws, " ") + "."
	}
	title = strings.TrimSuffix(sentence(6+r.IntN(7)), ".")
	if id%5 < 2 {
		return title, ""
	}
	var paras []string
	for range 2 + r.IntN(7) {
		var ss []string
		for range 1 + r.IntN(3) {
			ss = append(ss, sentence(12+r.IntN(17)))
		}
		paras = append(paras, strings.Join(ss, " "))
	}
	return title, strings.Join(paras, "\n\n")
}

// bodiedText returns the text of a random generated item with a body
// among the first n.
func bodiedText(r *rand.Rand, n int64) string {
	for {
		if _, text := genItem(r.Int64N(n)); text != "" {
			return text
		}
	}
}

// editCopy makes an edited copy of a text: cut, furniture, a sentence
// inserted, typography.
func editCopy(r *rand.Rand, text string) string {
	paras := strings.Split(text, "\n\n")
	if r.IntN(2) == 0 && len(paras) > 2 {
		paras = paras[:1+r.IntN(len(paras)-1)]
	}
	paras = append([]string{"Advertisement"}, paras...)
	paras = append(paras, "Sign up for our newsletter.", "See also Something else happened today")
	paras[1] = "BERLIN (dpa) - " + paras[1] + " Observers said the move had been widely expected."
	return strings.ReplaceAll(strings.Join(paras, "\n\n"), " ", "\u00a0")
}

// memLookup is a Lookup over generated items: item id is its own story
// ("c<id>") unless a benchmark decision put it elsewhere.
type memLookup struct {
	feeds   int
	extra   map[int64]wirefeed.StoredItem // items added by the benchmark
	byGUID  map[string]int64
	stories map[string]int64 // story -> root
	log     []wirefeed.IndexChange
}

func newMemLookup() *memLookup {
	return &memLookup{feeds: 41, extra: map[int64]wirefeed.StoredItem{}, byGUID: map[string]int64{}, stories: map[string]int64{}}
}

func (l *memLookup) item(id int64) wirefeed.StoredItem {
	if it, ok := l.extra[id]; ok {
		return it
	}
	title, text := genItem(id)
	seen := benchBase.Add(time.Duration(id) * time.Second)
	words := 0
	if text != "" {
		words = len(strings.Fields(text))
	}
	return wirefeed.StoredItem{ID: id, Feed: fmt.Sprint("feed", id%int64(l.feeds)), GUID: fmt.Sprint(id), Title: title, Text: text,
		Published: seen, FirstSeen: seen, StoryID: fmt.Sprint("c", id), StoryFirstSeen: seen, Words: words}
}

func (l *memLookup) StoryByURL(context.Context, string) (string, error)     { return "", nil }
func (l *memLookup) StoryByBodyHash(context.Context, int64) (string, error) { return "", nil }
func (l *memLookup) Items(_ context.Context, ids []int64) ([]wirefeed.StoredItem, error) {
	out := make([]wirefeed.StoredItem, len(ids))
	for i, id := range ids {
		out[i] = l.item(id)
	}
	return out, nil
}
func (l *memLookup) ItemID(_ context.Context, feed, guid string) (int64, error) {
	return l.byGUID[feed+"\x00"+guid], nil
}
func (l *memLookup) StoryRoot(_ context.Context, c string) (int64, error) {
	if id, ok := l.stories[c]; ok {
		return id, nil
	}
	var id int64
	if _, err := fmt.Sscanf(c, "c%d", &id); err != nil {
		return 0, err
	}
	if it, ok := l.extra[id]; ok && it.Words == 0 || !ok && id%5 < 2 {
		return 0, nil // title-only: see genItem
	}
	return id, nil
}
func (l *memLookup) SentenceCounts(context.Context, string, []int64) (map[int64]int, error) {
	return map[int64]int{}, nil
}

// Changes reports the items the benchmark committed after since (their
// positions are their places in l.log, from 1).
func (l *memLookup) Changes(_ context.Context, since int64, fn func(wirefeed.IndexChange) error) (int64, error) {
	for _, c := range l.log[min(since, int64(len(l.log))):] {
		if err := fn(c); err != nil {
			return since, err
		}
	}
	return int64(len(l.log)), nil
}

func (l *memLookup) ScanSignatures(context.Context, time.Time, func(int64, time.Time, []byte) error) (int64, error) {
	return 0, errors.New("memLookup: the benchmark's index is built, not scanned")
}

func (l *memLookup) ScanBoilerplate(context.Context, func(string, int64) error) error { return nil }

// benchEnv is an engine whose index holds n generated items.
type benchEnv struct {
	e        *Engine
	l        *memLookup
	n        int64
	bytes    int     // index bytes by accounting
	heapPer  float64 // heap growth per item while building
	newItems []wirefeed.Candidate
	next     int // newItems[next] is the next new item: each is matched once
}

var (
	benchMu   sync.Mutex
	benchEnvs = map[int64]*benchEnv{}
)

// newItemsPerEnv bounds -benchtime times -count for BenchmarkMatch.
const newItemsPerEnv = 16384

// buildEnv builds (once per size) an index of n items first seen over
// three days, signing them on all CPUs.
func buildEnv(b *testing.B, n int64) *benchEnv {
	benchMu.Lock()
	defer benchMu.Unlock()
	if env := benchEnvs[n]; env != nil {
		return env
	}
	for k := range benchEnvs { // keep one size in memory at a time
		delete(benchEnvs, k)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	e := New(Options{})
	l := newMemLookup()
	span := int64(3 * 24 * time.Hour / time.Second)
	const chunk = 4096
	sigs := make([]signature, chunk)
	for start := int64(0); start < n; start += chunk {
		end := min(start+chunk, n)
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for id := start + int64(w); id < end; id += int64(workers) {
					title, text := genItem(id)
					sigs[id-start] = e.prepare("", title, text).sig
				}
			})
		}
		wg.Wait()
		for id := start; id < end; id++ {
			e.index(id, benchBase.Add(time.Duration(id*span/n)*time.Second), &sigs[id-start])
		}
	}
	// The new items' day: its bucket is created, and the day before is
	// sealed, once a day in steady state; here before the clock starts.
	e.idx.bucket(dayOf(benchBase.Add(time.Duration(span) * time.Second)))
	e.pos = 0 // as of l's empty change log
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	env := &benchEnv{e: e, l: l, n: n, bytes: e.idx.bytes(), heapPer: float64(after.HeapAlloc-before.HeapAlloc) / float64(n)}
	// new items: a fifth are copies of items in the window
	r := rand.New(rand.NewPCG(uint64(n), 99))
	seen := benchBase.Add(time.Duration(span) * time.Second)
	for i := range newItemsPerEnv {
		id := n + int64(i)
		title, text := genItem(id)
		if i%5 == 0 {
			text = editCopy(r, bodiedText(r, n))
		}
		env.newItems = append(env.newItems, wirefeed.Candidate{Feed: fmt.Sprint("feed", id%41), Seen: seen,
			Item: &wirefeed.Item{GUID: fmt.Sprint(id), Title: title, Text: text, Published: seen}})
	}
	benchEnvs[n] = env
	return env
}

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int64{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("window=%d", n), func(b *testing.B) {
			if n >= 1_000_000 && testing.Short() {
				b.Skip("1M items take about a minute to index; run without -short")
			}
			env := buildEnv(b, n)
			ctx := context.Background()
			joined := 0
			cpu0 := cpuTime()
			for b.Loop() {
				i := env.next
				if i == len(env.newItems) {
					b.Fatalf("all %d new items used; lower -benchtime or -count", i)
				}
				env.next++
				c := env.newItems[i]
				// One item per session: each catches up with the
				// item committed before it.
				tx, err := env.e.Begin(ctx, env.l)
				if err != nil {
					b.Fatal(err)
				}
				dec, err := tx.Match(ctx, c)
				if err != nil {
					b.Fatal(err)
				}
				tx.Commit()
				if dec.StoryID != "" {
					joined++
				}
				// commit it under a fresh id, as the store would
				id := env.n + 1_000_000 + int64(i)
				env.l.log = append(env.l.log, wirefeed.IndexChange{Pos: int64(len(env.l.log) + 1), Kind: wirefeed.ChangeSigned,
					ItemID: id, Seen: c.Seen, Signature: dec.Signature})
				cl := dec.StoryID
				if cl == "" {
					cl = fmt.Sprint("c", id)
				}
				env.l.extra[id] = wirefeed.StoredItem{ID: id, Feed: c.Feed, GUID: c.Item.GUID, Title: c.Item.Title, Text: c.Item.Text,
					Published: c.Seen, FirstSeen: c.Seen, StoryID: cl, StoryFirstSeen: c.Seen, Words: dec.Words}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(env.bytes)/float64(env.n), "index-B/item")
			b.ReportMetric(env.heapPer, "heap-B/item")
			b.ReportMetric(float64(joined)/float64(b.N), "joined/op")
		})
	}
}

// BenchmarkPrepare measures normalising and signing one item, the part of
// Match that does not depend on the window.
func BenchmarkPrepare(b *testing.B) {
	e := New(Options{})
	var items [][2]string
	for id := int64(0); len(items) < 256; id++ {
		if t, x := genItem(id); x != "" {
			items = append(items, [2]string{t, x})
		}
	}
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		it := items[i%len(items)]
		e.prepare("feed", it[0], it[1])
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkRecord measures one new item recorded through the store (one
// SQLite transaction per fetch of 20 items), with 10k items in the window.
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	e := New(Options{})
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "wirefeed.db"), store.Options{Matcher: e})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const window, perFetch = 10_000, 20
	at := benchBase
	record := func(feed int, items []wirefeed.Item) {
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: feedOf(fmt.Sprint("feed", feed)), Attempted: at, Status: 200, Items: items}); err != nil {
			b.Fatal(err)
		}
	}
	mk := func(id int64) wirefeed.Item {
		title, text := genItem(id)
		return wirefeed.Item{GUID: fmt.Sprint(id), URL: fmt.Sprintf("https://example.com/%d", id), Title: title, Text: text, Published: at, Updated: at}
	}
	for start := int64(0); start < window; start += perFetch {
		var items []wirefeed.Item
		for id := start; id < start+perFetch; id++ {
			items = append(items, mk(id))
		}
		record(int(start/perFetch)%41, items)
		at = at.Add(20 * time.Second)
	}
	r := rand.New(rand.NewPCG(1, 2))
	next := int64(window)
	cpu0 := cpuTime()
	for b.Loop() {
		var items []wirefeed.Item
		for range perFetch {
			it := mk(next)
			if next%5 == 0 {
				it.Text = editCopy(r, bodiedText(r, window))
			}
			items = append(items, it)
			next++
		}
		record(int(next/perFetch)%41, items)
		at = at.Add(20 * time.Second)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perFetch), "ns/item")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*perFetch), "cpu-ns/item")
}

// BenchmarkPrepareScripts measures normalising and signing one item in each
// script of the multilingual evaluation set: its base stories, as their
// agencies filed them.
func BenchmarkPrepareScripts(b *testing.B) {
	for _, l := range readIntl(b) {
		b.Run(l.code, func(b *testing.B) {
			e := New(Options{})
			var items [][2]string
			for _, s := range l.stories {
				items = append(items, [2]string{s.get("title"), text(wire(s.body, s.get("dateline"), "")...)})
			}
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				it := items[i%len(items)]
				e.prepare("feed", it[0], it[1])
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

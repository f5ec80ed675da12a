package dedupe

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

// The evaluation set: base stories written for these tests, republished
// with mechanical edits (this file), plus hard negatives and unrelated items.
// See testdata/eval/README.md.

// Edit types of a republication.
const (
	editBoilerplate = "boilerplate"
	editDateline    = "dateline+credit"
	editHeadline    = "headline"
	editCut         = "cut"
	editSummary     = "summary"
	editSentence    = "sentence"
	editTypography  = "typography"
	editTitleOnly   = "title-only"
)

// requiredEdits are the edit types the issue lists; each must occur at
// least minPerEdit times alone and minPerEdit times combined.
var requiredEdits = []string{editBoilerplate, editDateline, editHeadline, editCut, editSummary, editSentence, editTypography}

const (
	minPerEdit  = 15
	evalSeed    = 20240304
	fetchPeriod = 15 * time.Minute
)

// record is one "=== ID" record of a testdata file.
type record struct {
	id     string
	fields map[string][]string
	body   []string // paragraphs
}

func (r record) get(k string) string {
	if v := r.fields[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (r record) time(tb testing.TB) time.Time {
	t, err := time.Parse(time.RFC3339, r.get("time"))
	if err != nil {
		tb.Fatalf("record %s: time: %v", r.id, err)
	}
	return t
}

// readRecords parses a records file.
func readRecords(tb testing.TB, name string) []record {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "eval", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []record
	var cur *record
	inBody := false
	var para []string
	endPara := func() {
		if cur != nil && len(para) > 0 {
			cur.body = append(cur.body, strings.Join(para, " "))
		}
		para = nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			endPara()
			out = append(out, record{id: strings.TrimSpace(line[4:]), fields: map[string][]string{}})
			cur, inBody = &out[len(out)-1], false
		case cur == nil || !inBody && strings.HasPrefix(line, "#"):
		case !inBody && strings.TrimSpace(line) == "":
			inBody = true
		case !inBody:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				tb.Fatalf("%s: record %s: bad field line %q", name, cur.id, line)
			}
			cur.fields[strings.TrimSpace(k)] = append(cur.fields[strings.TrimSpace(k)], strings.TrimSpace(v))
		case strings.TrimSpace(line) == "":
			endPara()
		default:
			para = append(para, strings.TrimSpace(line))
		}
	}
	endPara()
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// readLines reads a one-per-line file, without comments and blank lines.
func readLines(tb testing.TB, name string) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "eval", name))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// evalItem is one item of the evaluation with its ground truth.
type evalItem struct {
	feed  string
	item  wirefeed.Item
	label string   // the story it belongs to: the base story id, or its own id
	kind  string   // original, copy, negative, negative-title, unrelated
	of    string   // for negatives: the base story of the same event
	edits []string // for copies
	lang  string   // the multilingual set's items: their language ("" for the original set)
	fetch time.Time
}

// evalSet builds the evaluation items, deterministically.
func evalSet(tb testing.TB) []evalItem {
	tb.Helper()
	stories := append(readRecords(tb, "stories-1.txt"), readRecords(tb, "stories-2.txt")...)
	negatives := readRecords(tb, "negatives.txt")
	unrelated := readRecords(tb, "unrelated.txt")
	g := &generator{
		rng:       rand.New(rand.NewPCG(evalSeed, 1)),
		furniture: readLines(tb, "furniture.txt"),
		asides:    readLines(tb, "asides.txt"),
		outlets:   readLines(tb, "outlets.txt"),
		datelines: readLines(tb, "datelines.txt"),
		credits:   readLines(tb, "credits.txt"),
	}
	for _, r := range append(append(slices.Clone(stories), negatives...), unrelated...) {
		g.headlines = append(g.headlines, r.get("title"))
	}

	var items []evalItem
	editSets := g.editSets(stories)
	next := 0
	for i, s := range stories {
		base := s.time(tb)
		orig := g.original(s)
		items = append(items, evalItem{feed: s.get("agency"), item: orig, label: s.id, kind: "original",
			fetch: base.Add(time.Duration(g.rng.IntN(240)) * time.Minute)})
		outlets := slices.Clone(g.outlets)
		g.rng.Shuffle(len(outlets), func(a, b int) { outlets[a], outlets[b] = outlets[b], outlets[a] })
		n := 1 + i%5
		if i%4 == 1 {
			n++ // a title-only copy as well
		}
		for c := range n {
			var edits []string
			if c == 1+i%5 {
				edits = []string{editTitleOnly}
			} else {
				edits = editSets[next]
				next++
			}
			outlet := outlets[c%len(outlets)]
			pub := base.Add(time.Duration(10+g.rng.IntN(18*60)) * time.Minute)
			it := g.republish(s, outlet, edits, pub)
			items = append(items, evalItem{feed: outlet, item: it, label: s.id, kind: "copy", edits: edits,
				fetch: pub.Add(time.Duration(g.rng.IntN(30)) * time.Minute)})
		}
	}
	if next != len(editSets) {
		tb.Fatalf("edit sets: used %d of %d", next, len(editSets))
	}
	for _, r := range negatives {
		it := g.standalone(r, r.get("outlet"))
		items = append(items, evalItem{feed: r.get("outlet"), item: it, label: r.id, kind: "negative", of: r.get("of"),
			fetch: r.time(tb).Add(time.Duration(g.rng.IntN(30)) * time.Minute)})
		if g.rng.IntN(3) == 0 {
			// the negative republished as title only on another outlet: it
			// is the negative's story, and its title is close to the base
			// story's but not the same
			to := it
			to.GUID, to.URL, to.Text, to.Summary, to.ContentHTML = it.GUID+"/t", it.URL+"-t", "", "", ""
			feed := g.outlets[g.rng.IntN(len(g.outlets))]
			items = append(items, evalItem{feed: feed, item: to, label: r.id, kind: "negative-title",
				fetch: r.time(tb).Add(time.Duration(30+g.rng.IntN(60)) * time.Minute)})
		}
	}
	for _, r := range unrelated {
		it := g.standalone(r, r.get("outlet"))
		items = append(items, evalItem{feed: r.get("outlet"), item: it, label: r.id, kind: "unrelated",
			fetch: r.time(tb).Add(time.Duration(g.rng.IntN(30)) * time.Minute)})
	}
	return items
}

// generator applies edits with a seeded random source.
type generator struct {
	rng                                            *rand.Rand
	furniture, asides, outlets, datelines, credits []string
	headlines                                      []string
}

var reporters = []string{"Nadia Haddad", "Tomás Ferreira", "Yuki Morimoto", "Olena Kravets", "Samuel Adeyemi", "Clara Lindgren", "Rohan Mehta"}

// editSets returns the edit combinations for every copy that is not
// title-only: each required edit 16 times alone, the rest random
// combinations of two to four edits.
func (g *generator) editSets(stories []record) [][]string {
	total := 0
	for i := range stories {
		total += 1 + i%5
	}
	var sets [][]string
	for range 16 {
		for _, e := range requiredEdits {
			sets = append(sets, []string{e})
		}
	}
	for len(sets) < total {
		k := 2 + g.rng.IntN(3)
		perm := g.rng.Perm(len(requiredEdits))[:k]
		var set []string
		for _, p := range perm {
			set = append(set, requiredEdits[p])
		}
		sets = append(sets, set)
	}
	g.rng.Shuffle(len(sets), func(a, b int) { sets[a], sets[b] = sets[b], sets[a] })
	return sets
}

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// fill replaces the placeholders of a template.
func (g *generator) fill(tmpl string, s record, outlet string, at time.Time) string {
	r := strings.NewReplacer(
		"{CITY}", strings.ToUpper(s.get("city")), "{City}", s.get("city"),
		"{Month}", at.Format("January"), "{D}", at.Format("2"),
		"{agency}", g.agencyName(s), "{outlet}", outlet, "{title}", s.get("title"),
		"{date}", at.Format("January 2, 2006 15:04"), "{names}", g.pick(reporters),
		"{headline}", g.otherHeadline(s.get("title")),
	)
	return r.Replace(tmpl)
}

func (g *generator) agencyName(s record) string {
	if a := s.get("agency"); a != "" {
		return a
	}
	return "Reuters"
}

func (g *generator) otherHeadline(not string) string {
	for {
		if h := g.pick(g.headlines); h != not {
			return h
		}
	}
}

// agencyDateline is how the agency itself dates its copy.
func agencyDateline(s record, at time.Time) string {
	city, up := s.get("city"), strings.ToUpper(s.get("city"))
	switch s.get("agency") {
	case "Reuters":
		return fmt.Sprintf("%s, %s (Reuters) - ", up, at.Format("January 2"))
	case "AFP":
		return city + " (AFP) - "
	case "AP":
		return up + " (AP) — "
	case "dpa":
		return city + " (dpa) - "
	case "Yonhap":
		return fmt.Sprintf("%s, %s (Yonhap) -- ", up, at.Format("Jan. 2"))
	}
	return up + " - "
}

// original is the agency's own item.
func (g *generator) original(s record) wirefeed.Item {
	at, _ := time.Parse(time.RFC3339, s.get("time"))
	paras := slices.Clone(s.body)
	paras[0] = agencyDateline(s, at) + paras[0]
	if c := s.get("credit"); c != "" {
		paras = append(paras, c)
	}
	id := strings.ToLower(s.id)
	return makeItem(s.get("agency")+":"+id, "https://"+strings.ToLower(s.get("agency"))+".example/world/"+id, s.get("title"), paras, at, "\n\n")
}

// standalone is a negative or unrelated item as its outlet published it.
func (g *generator) standalone(r record, outlet string) wirefeed.Item {
	at, _ := time.Parse(time.RFC3339, r.get("time"))
	id := strings.ToLower(r.id)
	slug := strings.ToLower(strings.ReplaceAll(outlet, " ", "-"))
	it := makeItem(slug+":"+id, "https://"+slug+".example/"+id, r.get("title"), r.body, at, "\n\n")
	if len(r.body) > 0 && g.rng.IntN(3) == 0 {
		// outlets wrap their own copy in furniture too
		it = makeItem(it.GUID, it.URL, it.Title, g.addFurniture(r, outlet, slices.Clone(r.body), at), at, "\n\n")
	}
	return it
}

func makeItem(guid, url, title string, paras []string, at time.Time, sep string) wirefeed.Item {
	text := strings.Join(paras, sep)
	html := ""
	if len(paras) > 0 {
		html = "<p>" + strings.Join(paras, "</p><p>") + "</p>"
	}
	return wirefeed.Item{GUID: guid, URL: url, Title: title, Text: text, Summary: firstRunes(text, 400),
		ContentHTML: html, Published: at, Updated: at}
}

func firstRunes(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// republish is a copy of story s on outlet with the given edits.
func (g *generator) republish(s record, outlet string, edits []string, at time.Time) wirefeed.Item {
	has := func(e string) bool { return slices.Contains(edits, e) }
	id := strings.ToLower(s.id)
	slug := strings.ToLower(strings.ReplaceAll(outlet, " ", "-"))
	guid := fmt.Sprintf("%s:%s:%d", slug, id, g.rng.IntN(1_000_000))
	url := fmt.Sprintf("https://%s.example/news/%s-%d", slug, id, g.rng.IntN(100000))
	title := s.get("title")
	if has(editHeadline) {
		title = g.pick(s.fields["alt"])
	}
	if has(editTitleOnly) {
		switch g.rng.IntN(4) {
		case 0:
			title += " - " + outlet
		case 1:
			title = "UPDATE 1-" + title
		case 2:
			title = curly(title)
		}
		return wirefeed.Item{GUID: guid, URL: url, Title: title, Published: at, Updated: at}
	}

	paras := slices.Clone(s.body)
	if has(editSentence) {
		paras = g.editSentence(paras)
	}
	if has(editCut) {
		keep := 1 + g.rng.IntN(max(1, len(paras)/2))
		paras = paras[:keep]
	}
	dateline := agencyDateline(s, at)
	credit := s.get("credit")
	if has(editDateline) {
		for {
			d := g.fill(g.pick(g.datelines), s, outlet, at)
			if d == "none" {
				d = ""
			}
			if d != dateline {
				dateline = d
				break
			}
		}
		credit = g.fill(g.pick(g.credits), s, outlet, at)
		if credit == "none" {
			credit = ""
		}
	}
	if has(editSummary) {
		sum := firstSentence(paras[0])
		if w := strings.Fields(sum); len(w) > 24 && g.rng.IntN(2) == 0 {
			sum = strings.Join(w[:18+g.rng.IntN(6)], " ") + g.pick([]string{"…", "...", " [...]"})
		}
		if g.rng.IntN(2) == 0 {
			sum = dateline + sum
		}
		paras = []string{sum}
	} else {
		paras[0] = dateline + paras[0]
		if credit != "" {
			paras = append(paras, credit)
		}
	}
	if has(editBoilerplate) {
		paras = g.addFurniture(s, outlet, paras, at)
	}
	sep := "\n\n"
	if has(editTypography) {
		title = curly(title)
		paras, sep = g.typography(paras)
	}
	it := makeItem(guid, url, title, paras, at, sep)
	if has(editSummary) {
		it.ContentHTML = ""
	}
	return it
}

// editSentence inserts an editorial sentence or drops one.
func (g *generator) editSentence(paras []string) []string {
	i := g.rng.IntN(len(paras))
	ss := splitSentences(nil, paras[i])
	if g.rng.IntN(2) == 0 || len(paras) < 3 {
		at := g.rng.IntN(len(ss) + 1)
		ss = slices.Insert(ss, at, g.pick(g.asides))
		paras[i] = strings.Join(ss, " ")
		return paras
	}
	if len(ss) > 1 {
		j := g.rng.IntN(len(ss))
		paras[i] = strings.Join(slices.Delete(ss, j, j+1), " ")
		return paras
	}
	if i == 0 {
		i = 1
	}
	return slices.Delete(paras, i, i+1)
}

// addFurniture inserts one to four furniture lines between paragraphs.
func (g *generator) addFurniture(s record, outlet string, paras []string, at time.Time) []string {
	n := 1 + g.rng.IntN(4)
	for range n {
		line := g.fill(g.pick(g.furniture), s, outlet, at)
		pos := g.rng.IntN(len(paras) + 1)
		paras = slices.Insert(paras, pos, line)
	}
	return paras
}

func firstSentence(p string) string {
	ss := splitSentences(nil, p)
	return ss[0]
}

// curly sets straight quotes and apostrophes in typographic ones.
func curly(s string) string {
	var b strings.Builder
	open := true
	for i, r := range s {
		switch r {
		case '"':
			if open {
				b.WriteRune('“')
			} else {
				b.WriteRune('”')
			}
			open = !open
		case '\'':
			if i > 0 {
				b.WriteRune('’')
			} else {
				b.WriteRune('‘')
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// typography changes quotes, dashes, spaces, entities and markup, as
// different sites' templates do. It returns the paragraphs and the
// separator to join them with.
func (g *generator) typography(paras []string) ([]string, string) {
	out := slices.Clone(paras)
	tr := []func(string) string{
		curly,
		func(s string) string {
			return strings.NewReplacer(" - ", " – ", " — ", " -- ", " -- ", " — ").Replace(s)
		},
		func(s string) string { // no-break spaces after numbers and short words
			var b strings.Builder
			fs := strings.Fields(s)
			for i, f := range fs {
				if i > 0 {
					if len(fs[i-1]) <= 3 || strings.ContainsAny(fs[i-1], "0123456789") {
						b.WriteString("\u00a0")
					} else {
						b.WriteByte(' ')
					}
				}
				b.WriteString(f)
			}
			return b.String()
		},
		func(s string) string { // entities left escaped by a feed
			return strings.NewReplacer("&", "&amp;", "'", "&#8217;", "\"", "&quot;").Replace(s)
		},
	}
	k := 1 + g.rng.IntN(len(tr))
	for _, f := range g.rng.Perm(len(tr))[:k] {
		for i := range out {
			out[i] = tr[f](out[i])
		}
	}
	switch g.rng.IntN(4) {
	case 0:
		return out, "\n" // <br> instead of paragraphs
	case 1:
		for i := range out {
			out[i] = "<p>" + out[i] + "</p>"
		}
		return out, "" // markup left in the text
	case 2:
		for i := range out {
			out[i] = "<div class=\"para\"><span>" + out[i] + "</span></div>"
		}
		return out, "\n"
	}
	return out, "\n\n"
}

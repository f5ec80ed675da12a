package dedupe

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"testing"

	"github.com/wirefeed/wirefeed"
	"golang.org/x/text/unicode/norm"
)

// The multilingual evaluation set (testdata/eval/intl, see its README): base
// stories, same-event hard negatives, live blogs and daily columns written
// for these tests in fourteen languages, and the real-feed shapes that this
// file builds from them. Each item is tagged with its language and with the
// class of shape it tests; TestEvaluation reports precision and recall per
// language and per class.

// Classes of the multilingual set.
const (
	classOriginal   = "original"   // the agency's own item
	classCopy       = "copy"       // a republication with ordinary edits (dateline, cut, summary, typography)
	classFullPage   = "fullpage"   // the whole web page in content:encoded
	classPool       = "pool"       // an aggregator pool's item: source suffix, redirect link, no body
	classLiveBlog   = "liveblog"   // live blogs that share their opening paragraph
	classColumn     = "column"     // daily columns that open with the same template
	classVariant    = "variant"    // spelling variants a copy desk changes
	classFurniture  = "furniture"  // furniture lines in the copy's language
	classTitleOnly  = "titleonly"  // a title-only item against a story with bodies
	classNegative   = "negative"   // a same-event report by another agency (and its title-only forms)
	classBackground = "background" // other headlines in the pools
)

// intlClasses are the classes reported, in order.
var intlClasses = []string{classCopy, classFullPage, classPool, classLiveBlog, classColumn, classVariant, classFurniture, classTitleOnly, classNegative}

// intlLang is one language's records.
type intlLang struct {
	code     string
	res      record
	stories  []record
	negs     []record
	lives    []record
	briefs   []record
	columns  []record
	headings []string // every title, for related blocks and "read also" lines
}

// readIntl reads every language file of testdata/eval/intl.
func readIntl(tb testing.TB) []*intlLang {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "eval", "intl", "*.txt"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no multilingual evaluation files: %v", err)
	}
	sort.Strings(paths)
	var out []*intlLang
	for _, p := range paths {
		rs := readRecords(tb, filepath.Join("intl", filepath.Base(p)))
		l := &intlLang{code: strings.TrimSuffix(filepath.Base(p), ".txt")}
		for _, r := range rs {
			switch r.get("kind") {
			case "lang":
				l.res = r
			case "story":
				l.stories = append(l.stories, r)
			case "negative":
				l.negs = append(l.negs, r)
			case "live":
				l.lives = append(l.lives, r)
			case "brief":
				l.briefs = append(l.briefs, r)
			case "column":
				l.columns = append(l.columns, r)
			default:
				tb.Fatalf("%s: record %s: unknown kind %q", p, r.id, r.get("kind"))
			}
			if t := r.get("title"); t != "" {
				l.headings = append(l.headings, t)
			}
		}
		if l.res.id != l.code {
			tb.Fatalf("%s: no resource record %q", p, l.code)
		}
		l.headings = append(l.headings, l.res.fields["bg"]...)
		out = append(out, l)
	}
	return out
}

// intlGen builds one language's items with a seeded random source.
type intlGen struct {
	l     *intlLang
	rng   *rand.Rand
	items []evalItem
	n     int // item counter, for unique GUIDs
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// intlSet builds the multilingual evaluation items, deterministically.
func intlSet(tb testing.TB) []evalItem {
	tb.Helper()
	var out []evalItem
	for _, l := range readIntl(tb) {
		g := &intlGen{l: l, rng: rand.New(rand.NewPCG(seedOf(l.code), evalSeed))}
		g.build(tb)
		out = append(out, g.items...)
	}
	return out
}

func (g *intlGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *intlGen) add(feed string, it wirefeed.Item, label, class string, fetch time.Time) {
	g.items = append(g.items, evalItem{feed: feed, item: it, label: label, kind: class, lang: g.l.code, fetch: fetch})
}

// guid returns a unique GUID and link for an item of feed.
func (g *intlGen) guid(feed string) (string, string) {
	g.n++
	slug := fmt.Sprintf("%x", seedOf(feed))[:8]
	return fmt.Sprintf("%s:%s:%d", g.l.code, slug, g.n), fmt.Sprintf("https://%s.example/%s/%d", slug, g.l.code, g.n)
}

// feedName makes feed names unique across languages.
func (g *intlGen) feedName(name string) string { return name + " (" + g.l.code + ")" }

// join puts a dateline in front of a paragraph: with a space after Latin,
// Cyrillic, Arabic... punctuation, without one after CJK brackets.
func joinDateline(dateline, para string) string {
	if dateline == "" {
		return para
	}
	r, _ := utf8.DecodeLastRuneInString(dateline)
	if isWide(r) {
		return dateline + para
	}
	return dateline + " " + para
}

// fill replaces the placeholders of a resource template.
func (g *intlGen) fill(tmpl string, s record, outlet string, at time.Time) string {
	up := at.Add(time.Duration(20+g.rng.IntN(90)) * time.Minute)
	r := strings.NewReplacer(
		"{CITY}", strings.ToUpper(s.get("city")), "{City}", s.get("city"),
		"{agency}", s.get("agency"), "{outlet}", outlet,
		"{D}", at.Format("2"), "{h}", at.Format("15"), "{m}", at.Format("04"),
		"{h2}", up.Format("15"), "{m2}", up.Format("04"),
		"{headline}", g.otherHeading(s.get("title")),
	)
	return strings.TrimSpace(r.Replace(tmpl))
}

func (g *intlGen) otherHeading(not string) string {
	for {
		if h := g.pick(g.l.headings); h != not {
			return h
		}
	}
}

// resource returns a random value of a resource key, "" for "none".
func (g *intlGen) resource(key string, s record, outlet string, at time.Time) string {
	v := g.fill(g.pick(g.l.res.fields[key]), s, outlet, at)
	if v == "none" {
		return ""
	}
	return v
}

// htmlItem is an item whose body is the given HTML, normalised as the
// fetcher normalises it.
func htmlItem(guid, url, title, html string, at time.Time) wirefeed.Item {
	clean, text := fetched(html)
	return wirefeed.Item{GUID: guid, URL: url, Title: title, ContentHTML: clean, Text: text,
		Summary: firstRunes(text, 400), Published: at, Updated: at}
}

func paragraphsHTML(paras []string) string {
	var b strings.Builder
	for _, p := range paras {
		b.WriteString("<p>" + escapeHTML(p) + "</p>\n")
	}
	return b.String()
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// wire returns the story's paragraphs with a dateline on the first and the
// credit as the last.
func wire(paras []string, dateline, credit string) []string {
	out := slices.Clone(paras)
	out[0] = joinDateline(dateline, out[0])
	if credit != "" {
		out = append(out, credit)
	}
	return out
}

func (g *intlGen) build(tb testing.TB) {
	l := g.l
	outlets := l.res.fields["outlet"]
	if len(outlets) < 3 || len(l.res.fields["pool"]) == 0 {
		tb.Fatalf("language %s: resources incomplete", l.code)
	}
	g.background()
	for i, s := range l.stories {
		g.story(tb, i, s)
	}
	for _, n := range l.negs {
		var base record
		for _, s := range l.stories {
			if s.id == n.get("of") {
				base = s
			}
		}
		g.negative(n, base)
	}
	g.liveBlogs()
	g.columns()
}

// pools returns the language's aggregator pools as (feed, title format).
func (g *intlGen) pools() [][2]string {
	var out [][2]string
	for _, p := range g.l.res.fields["pool"] {
		name, fmt, _ := strings.Cut(p, "|")
		out = append(out, [2]string{name, fmt})
	}
	return out
}

// poolItem is one item of an aggregator pool: the title with the source
// named in it, a redirect link, and Google News' description (the title and
// the source's name, nothing else).
func (g *intlGen) poolItem(pool [2]string, title, source string, at time.Time) wirefeed.Item {
	full := strings.NewReplacer("{title}", title, "{source}", source).Replace(pool[1])
	guid, _ := g.guid(pool[0])
	link := strings.NewReplacer("{rand}", randToken(g.rng, 40), "{hex}", randHex(g.rng, 40)).Replace(g.l.res.get("redirect"))
	desc := fmt.Sprintf(`<a href="%s" target="_blank">%s</a>&nbsp;&nbsp;<font color="#6f6f6f">%s</font>`, link, escapeHTML(title), escapeHTML(source))
	it := htmlItem(guid, link, full, desc, at)
	return it
}

func randToken(r *rand.Rand, n int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}

func randHex(r *rand.Rand, n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[r.IntN(16)]
	}
	return string(b)
}

// background fills each pool with other headlines, on the day before the
// stories, their sources taken in turn from the first four, so that the
// pool's source suffixes recur as they do in a real pool.
func (g *intlGen) background() {
	day := time.Date(2026, 8, 16, 0, 0, 0, 0, time.UTC)
	sources := g.l.res.fields["source"]
	for pi, pool := range g.pools() {
		for i, h := range g.l.res.fields["bg"] {
			at := day.Add(time.Duration(i*70+pi*13+g.rng.IntN(30)) * time.Minute)
			it := g.poolItem(pool, h, sources[(i+pi)%4], at)
			g.add(g.feedName(pool[0]), it, g.l.code+"-bg-"+fmt.Sprint(i), classBackground, at.Add(5*time.Minute))
		}
	}
}

// story builds a base story's original and its republications.
func (g *intlGen) story(tb testing.TB, i int, s record) {
	l := g.l
	at := s.time(tb)
	// Each copy of a story on an outlet of its own: an outlet that carries
	// one story twice under two GUIDs is reissuing its item (the store
	// updates the item it has), and two portals that republish anything
	// make up the five outlets a story may need.
	outlets := append(slices.Clone(l.res.fields["outlet"]), "Portal One", "Portal Two")
	rot := func(k int) string { return outlets[(i+k)%len(outlets)] }
	agency := g.feedName(s.get("agency"))
	title := s.get("title")
	alts := s.fields["alt"]

	// The agency's original. Odd stories are fetched late, so that their
	// pool items and an early headline come first.
	origFetch := at.Add(time.Duration(5+g.rng.IntN(20)) * time.Minute)
	if i%2 == 1 {
		origFetch = at.Add(2 * time.Hour)
	}
	guid, url := g.guid(agency)
	credit := s.get("credit")
	if credit == "none" {
		credit = ""
	}
	orig := wire(s.body, s.get("dateline"), credit)
	g.add(agency, makeItem(guid, url, title, orig, at, "\n\n"), s.id, classOriginal, origFetch)

	// A plain republication: the dateline and credit changed, and cut,
	// summarised or retyped.
	{
		outlet := rot(0)
		pub := at.Add(time.Duration(30+g.rng.IntN(300)) * time.Minute)
		dl := g.resource("dateline", s, outlet, pub)
		cr := g.resource("credit", s, outlet, pub)
		paras := wire(s.body, dl, cr)
		t := alts[0]
		switch i % 3 {
		case 0:
			paras = wire(s.body[:2], dl, "")
		case 1:
			paras = []string{joinDateline(dl, firstSentenceAny(s.body[0]))}
		case 2:
			for k := range paras {
				paras[k] = curly(strings.ReplaceAll(paras[k], " - ", " – "))
			}
			t = title
		}
		guid, url := g.guid(outlet)
		it := makeItem(guid, url, t, paras, pub, "\n\n")
		if i%3 == 1 {
			it.ContentHTML = ""
		}
		g.add(g.feedName(outlet), it, s.id, classCopy, pub.Add(10*time.Minute))
	}

	// Full-page copies: the outlet's whole page in content:encoded, under
	// the agency's headline. Even stories have two, from different outlets
	// with different page templates.
	pages := 1 + (i+1)%2
	for k := range pages {
		outlet := rot(1 + k)
		pub := at.Add(time.Duration(20+g.rng.IntN(400)) * time.Minute)
		html := g.page(s, outlet, pub, (i+k)%3)
		guid, url := g.guid(outlet)
		g.add(g.feedName(outlet), htmlItem(guid, url, title, html, pub), s.id, classFullPage, pub.Add(10*time.Minute))
	}

	// A copy with the spelling variants a copy desk changes.
	{
		outlet := rot(3)
		pub := at.Add(time.Duration(40+g.rng.IntN(500)) * time.Minute)
		paras := wire(s.body, g.resource("dateline", s, outlet, pub), "")
		for k := range paras {
			paras[k] = variant(l.code, paras[k])
		}
		guid, url := g.guid(outlet)
		g.add(g.feedName(outlet), makeItem(guid, url, variant(l.code, title), paras, pub, "\n\n"), s.id, classVariant, pub.Add(10*time.Minute))
	}

	// A copy wrapped in furniture in its language: "read also" lines in
	// the text, furniture lines, a related-stories block at the end.
	{
		outlet := rot(4)
		pub := at.Add(time.Duration(60+g.rng.IntN(500)) * time.Minute)
		paras := wire(s.body, g.resource("dateline", s, outlet, pub), g.resource("credit", s, outlet, pub))
		insert := func(line string) {
			pos := 1 + g.rng.IntN(len(paras)-1)
			paras = slices.Insert(paras, pos, line)
		}
		insert(g.resource("readalso", s, outlet, pub))
		insert(g.resource("furniture", s, outlet, pub))
		if i%2 == 0 {
			insert(g.resource("readalso", s, outlet, pub))
		}
		paras = append(paras, g.resource("related", s, outlet, pub))
		for range 2 + g.rng.IntN(2) {
			paras = append(paras, g.otherHeading(title))
		}
		paras = append(paras, g.resource("furniture", s, outlet, pub))
		guid, url := g.guid(outlet)
		g.add(g.feedName(outlet), makeItem(guid, url, title, paras, pub, "\n\n"), s.id, classFurniture, pub.Add(10*time.Minute))
	}

	// Title-only items: the agency's headline on a headline feed with its
	// site name or a wire slug; the plain copy's rewritten headline on
	// another (it matches that member, not the original); and, for even
	// stories, a breaking headline before the original arrives.
	{
		pub := at.Add(time.Duration(15+g.rng.IntN(600)) * time.Minute)
		t := title
		switch g.rng.IntN(3) {
		case 0:
			t = title + " - " + g.l.res.fields["outlet"][0]
		case 1:
			t = g.pick(l.res.fields["slug"]) + title
		case 2:
			t = curly(`"` + title + `"`)
		}
		feed := g.feedName("Headlines A")
		guid, url := g.guid(feed)
		g.add(feed, wirefeed.Item{GUID: guid, URL: url, Title: t, Published: pub, Updated: pub}, s.id, classTitleOnly, pub.Add(10*time.Minute))

		if i%3 != 2 { // the plain copy carried alts[0]
			pub := at.Add(time.Duration(400+g.rng.IntN(300)) * time.Minute)
			feed := g.feedName("Headlines B")
			guid, url := g.guid(feed)
			g.add(feed, wirefeed.Item{GUID: guid, URL: url, Title: alts[0], Published: pub, Updated: pub}, s.id, classTitleOnly, pub.Add(10*time.Minute))
		}
		if i%2 == 0 {
			pub := at.Add(-10 * time.Minute)
			feed := g.feedName("Breaking")
			guid, url := g.guid(feed)
			g.add(feed, wirefeed.Item{GUID: guid, URL: url, Title: g.pick(l.res.fields["slug"]) + title, Published: pub, Updated: pub}, s.id, classTitleOnly, at.Add(-5*time.Minute))
		}
	}

	// The aggregator pools: the agency's headline from two or three of the
	// pool's sources, and once the plain copy's headline from another.
	// Odd stories' pool items come before the original.
	sources := l.res.fields["source"]
	for pi, pool := range g.pools() {
		n := 2 + (i+pi)%2
		start := g.rng.IntN(4)
		for k := range n {
			src := sources[(start+k)%4]
			pub := at.Add(time.Duration(20+g.rng.IntN(300)) * time.Minute)
			fetch := pub.Add(10 * time.Minute)
			if i%2 == 1 {
				pub, fetch = at.Add(time.Duration(5+10*k)*time.Minute), at.Add(time.Duration(10+10*k)*time.Minute)
			}
			g.add(g.feedName(pool[0]), g.poolItem(pool, title, src, pub), s.id, classPool, fetch)
		}
		if i%3 != 2 && pi == 0 {
			pub := at.Add(time.Duration(420+g.rng.IntN(200)) * time.Minute)
			g.add(g.feedName(pool[0]), g.poolItem(pool, alts[0], sources[len(sources)-1-i%2], pub), s.id, classPool, pub.Add(10*time.Minute))
		}
	}
}

// page renders a story as an outlet's whole web page, in one of three
// templates.
func (g *intlGen) page(s record, outlet string, at time.Time, style int) string {
	res := func(k string) string { return g.resource(k, s, outlet, at) }
	esc := escapeHTML
	title := s.get("title")
	share := "<ul>"
	for _, w := range strings.Split(g.l.res.get("share"), "|") {
		share += `<li><a href="https://share.example/?u=x">` + esc(w) + "</a></li>"
	}
	share += "</ul>\n"
	figure := fmt.Sprintf(`<figure><img src="https://img.example/%s.jpg" alt=""><figcaption>%s %s</figcaption></figure>`+"\n",
		strings.ToLower(s.id), esc(s.get("caption")), esc(res("capcredit")))
	related := "<div><h3>" + esc(res("related")) + "</h3><ul>"
	for range 3 + g.rng.IntN(2) {
		related += `<li><a href="https://related.example/x">` + esc(g.otherHeading(title)) + "</a></li>"
	}
	related += "</ul></div>\n"
	stamp := "<div><time datetime=\"" + at.Format(time.RFC3339) + "\">" + esc(res("timestamp")) + "</time></div>\n"
	section := `<div><a href="https://section.example/">` + esc(res("section")) + "</a></div>\n"
	preferred := ""
	if p := g.l.res.get("preferred"); p != "" {
		preferred = `<p><a href="https://www.google.com/preferences/source?q=x">` + esc(g.fill(p, s, outlet, at)) + "</a></p>\n"
	}
	dl, cr := res("dateline"), res("credit")
	if s.get("city") == "" { // a column: no dateline, no agency credit
		dl, cr = "", ""
	}
	paras := wire(s.body, dl, cr)
	var b strings.Builder
	switch style {
	case 0: // label, headline, standfirst, photo, stamp, share bar, body, related
		b.WriteString(section + "<h1>" + esc(title) + "</h1>\n<p>" + esc(s.get("standfirst")) + "</p>\n" + figure + stamp + share + preferred)
		b.WriteString(paragraphsHTML(paras))
		b.WriteString(related)
	case 1: // stamp, headline, body with a photo and an ad inside, share bar, related
		b.WriteString(stamp + "<h1>" + esc(title) + "</h1>\n" + preferred)
		b.WriteString(paragraphsHTML(paras[:2]) + figure + "<p>" + esc(g.pick(g.l.res.fields["furniture"])) + "</p>\n")
		b.WriteString(paragraphsHTML(paras[2:]))
		b.WriteString(share + related)
	default: // label, headline, bold standfirst, share bar, photo, body, read also, related
		b.WriteString(section + "<h2>" + esc(title) + "</h2>\n<p><strong>" + esc(s.get("standfirst")) + "</strong></p>\n" + share + figure)
		b.WriteString(paragraphsHTML(paras[:3]))
		b.WriteString("<p><a href=\"https://x.example/\">" + esc(res("readalso")) + "</a></p>\n")
		b.WriteString(paragraphsHTML(paras[3:]))
		b.WriteString(related + "<p><small>© " + esc(outlet) + "</small></p>")
	}
	return b.String()
}

// negative adds a same-event report by another outlet; the same report as
// a full page of an outlet that also carries the base story's page (same
// page furniture, same photo and caption, another text); and its headline
// alone on the pool and on a headline feed.
func (g *intlGen) negative(n, base record) {
	at, _ := time.Parse(time.RFC3339, n.get("time"))
	feed := g.feedName(n.get("outlet"))
	guid, url := g.guid(feed)
	paras := slices.Clone(n.body)
	if g.rng.IntN(2) == 0 {
		paras = append(paras, g.resource("furniture", n, n.get("outlet"), at))
	}
	g.add(feed, makeItem(guid, url, n.get("title"), paras, at, "\n\n"), n.id, classNegative, at.Add(10*time.Minute))
	g.items[len(g.items)-1].of = n.get("of")

	outlets := g.l.res.fields["outlet"]
	i := slices.IndexFunc(g.l.stories, func(s record) bool { return s.id == base.id })
	outlet := outlets[(i+1)%len(outlets)]
	pr := n
	pr.fields = map[string][]string{"title": {n.get("title")}, "standfirst": {firstSentenceAny(n.body[1])},
		"caption": {base.get("caption")}, "agency": {n.get("outlet")}, "city": {base.get("city")}}
	pub := at.Add(time.Duration(20+g.rng.IntN(60)) * time.Minute)
	guid, url = g.guid(outlet)
	g.add(g.feedName(outlet), htmlItem(guid, url, n.get("title"), g.page(pr, outlet, pub, g.rng.IntN(3)), pub), n.id, classNegative, pub.Add(10*time.Minute))

	pools := g.pools()
	pub = at.Add(time.Duration(30+g.rng.IntN(120)) * time.Minute)
	g.add(g.feedName(pools[0][0]), g.poolItem(pools[0], n.get("title"), g.l.res.fields["source"][len(g.l.res.fields["source"])-1], pub), n.id, classNegative, pub.Add(10*time.Minute))
	pub = at.Add(time.Duration(30+g.rng.IntN(120)) * time.Minute)
	hf := g.feedName("Headlines B")
	guid, url = g.guid(hf)
	g.add(hf, wirefeed.Item{GUID: guid, URL: url, Title: n.get("title"), Published: pub, Updated: pub}, n.id, classNegative, pub.Add(10*time.Minute))
}

// liveBlogs adds the live blogs (which share their opening paragraph), a
// copy of the second on another outlet, a cut copy of the first (opening
// and first entry), and a one-paragraph brief of the second: the shared
// opening under the second's headline.
func (g *intlGen) liveBlogs() {
	if len(g.l.lives) == 0 {
		return
	}
	outlets := g.l.res.fields["outlet"]
	for k, lv := range g.l.lives {
		at, _ := time.Parse(time.RFC3339, lv.get("time"))
		feed := g.feedName(lv.get("outlet"))
		guid, url := g.guid(feed)
		g.add(feed, makeItem(guid, url, lv.get("title"), lv.body, at, "\n\n"), lv.id, classLiveBlog, at.Add(10*time.Minute))
		pub := at.Add(time.Duration(30+g.rng.IntN(60)) * time.Minute)
		outlet := outlets[k%len(outlets)]
		paras := slices.Clone(lv.body)
		if k == 0 {
			paras = paras[:2]
		} else {
			paras = slices.Insert(paras, 2, g.resource("furniture", lv, outlet, pub))
		}
		guid, url = g.guid(outlet)
		g.add(g.feedName(outlet), makeItem(guid, url, lv.get("title"), paras, pub, "\n\n"), lv.id, classLiveBlog, pub.Add(10*time.Minute))
	}
	for _, b := range g.l.briefs {
		at, _ := time.Parse(time.RFC3339, b.get("time"))
		feed := g.feedName(b.get("outlet"))
		guid, url := g.guid(feed)
		g.add(feed, makeItem(guid, url, b.get("title"), b.body, at, "\n\n"), b.get("of"), classLiveBlog, at.Add(10*time.Minute))
	}
}

// columns adds the daily columns (every edition opens with the same
// template paragraph), each edition republished as a full page by another
// outlet and cut to its first two paragraphs by a third.
func (g *intlGen) columns() {
	outlets := g.l.res.fields["outlet"]
	for k, c := range g.l.columns {
		at, _ := time.Parse(time.RFC3339, c.get("time"))
		feed := g.feedName(c.get("outlet"))
		guid, url := g.guid(feed)
		g.add(feed, makeItem(guid, url, c.get("title"), c.body, at, "\n\n"), c.id, classColumn, at.Add(10*time.Minute))

		pub := at.Add(time.Duration(20+g.rng.IntN(60)) * time.Minute)
		outlet := outlets[(k+1)%len(outlets)]
		s := c
		s.fields = map[string][]string{"title": {c.get("title")}, "standfirst": {firstSentenceAny(c.body[1])},
			"caption": {g.otherHeading(c.get("title"))}, "agency": {c.get("outlet")}, "city": {""}}
		html := g.page(s, outlet, pub, k%3)
		guid, url = g.guid(outlet)
		g.add(g.feedName(outlet), htmlItem(guid, url, c.get("title"), html, pub), c.id, classColumn, pub.Add(10*time.Minute))

		pub = at.Add(time.Duration(30+g.rng.IntN(60)) * time.Minute)
		outlet = outlets[(k+2)%len(outlets)]
		guid, url = g.guid(outlet)
		g.add(g.feedName(outlet), makeItem(guid, url, c.get("title"), c.body[:2], pub, "\n\n"), c.id, classColumn, pub.Add(10*time.Minute))
	}
}

// firstSentenceAny returns the first sentence of a paragraph in any script:
// up to the first full stop, question or exclamation mark (Latin, CJK,
// Arabic) followed by a space or the end, or by nothing after a CJK stop.
func firstSentenceAny(p string) string {
	for i, r := range p {
		switch r {
		case '。', '！', '？':
			return p[:i+utf8.RuneLen(r)]
		case '.', '!', '?', '؟':
			j := i + 1
			if j >= len(p) || p[j] == ' ' {
				if r == '.' && isAbbreviation(p[:i]) {
					continue
				}
				return p[:j]
			}
		}
	}
	return p
}

// variant applies the spelling changes a copy desk of that language makes.
func variant(lang, s string) string {
	switch lang {
	case "ar":
		s = strings.NewReplacer("أ", "ا", "إ", "ا", "آ", "ا", "ى ", "ي ").Replace(s)
		words := strings.Fields(s)
		for i, w := range words {
			rs := []rune(w)
			switch {
			case rs[len(rs)-1] == 'ة':
				rs[len(rs)-1] = 'ه' // ta marbuta written as ha
			case i%7 == 3 && len(rs) > 4:
				rs = slices.Insert(rs, 2, 'ـ') // tatweel
			case i%5 == 1 && unicode.Is(unicode.Arabic, rs[len(rs)-1]):
				rs = append(rs, '\u064f') // a damma
			}
			words[i] = string(rs)
		}
		return strings.Join(words, " ")
	case "fa":
		s = strings.NewReplacer("ی", "ي", "ک", "ك", "\u200c", "").Replace(s)
		return digitsTo(s, '0')
	case "ru":
		return strings.NewReplacer("ё", "е", "Ё", "Е").Replace(s)
	case "uk":
		return strings.NewReplacer("'", "’", "ʼ", "'").Replace(s)
	case "el":
		return stripMarks(s, unicode.Greek)
	case "fr", "es":
		var b strings.Builder
		for _, r := range s {
			if unicode.IsUpper(r) && r > 0x7f {
				b.WriteString(stripMarks(string(r), unicode.Latin))
				continue
			}
			b.WriteRune(r)
		}
		return strings.NewReplacer("œ", "oe", "'", "’").Replace(b.String())
	case "de":
		return strings.ReplaceAll(s, "ß", "ss")
	case "tr":
		return strings.NewReplacer("â", "a", "î", "i", "û", "u", "İ", "I").Replace(s)
	case "ja":
		return strings.Map(func(r rune) rune {
			switch {
			case r >= '０' && r <= '９':
				return r - '０' + '0'
			case r >= '0' && r <= '9':
				return r - '0' + '０'
			}
			return r
		}, s)
	case "zh":
		return strings.NewReplacer("，", ",", "：", ":", "“", "「", "”", "」", "（", "(", "）", ")").Replace(s)
	case "ko":
		return strings.NewReplacer("·", "ㆍ", "…", "...").Replace(s)
	case "th":
		return digitsTo(s, '๐')
	case "en":
		return strings.NewReplacer("defence", "defense", "criticised", "criticized", "programme", "program", "centre", "center", "organisation", "organization").Replace(s)
	}
	return s
}

// digitsTo writes the digits of s with zero as the digit zero.
func digitsTo(s string, zero rune) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r - '0' + zero
		case r >= '۰' && r <= '۹':
			return r - '۰' + zero
		case r >= '٠' && r <= '٩':
			return r - '٠' + zero
		case r >= '๐' && r <= '๙':
			return r - '๐' + zero
		}
		return r
	}, s)
}

// stripMarks removes the accents of letters of a script.
func stripMarks(s string, script *unicode.RangeTable) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) && (script != unicode.Greek || r == '\u0301') {
			continue
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// intlShape checks that the multilingual set is what the issue asks for.
func intlShape(t *testing.T, items []evalItem) {
	t.Helper()
	langs := map[string]bool{}
	perClass := map[string]map[string]int{}
	for _, it := range items {
		if it.lang == "" {
			continue
		}
		langs[it.lang] = true
		if perClass[it.kind] == nil {
			perClass[it.kind] = map[string]int{}
		}
		perClass[it.kind][it.lang]++
	}
	for _, l := range []string{"zh", "ja", "ar", "ru"} {
		if !langs[l] {
			t.Errorf("the multilingual set has no %s items", l)
		}
	}
	if len(langs) < 8 {
		t.Errorf("the multilingual set has %d languages, want at least 8", len(langs))
	}
	for _, c := range intlClasses {
		if n := len(perClass[c]); n == 0 || c != classLiveBlog && c != classColumn && n < 8 {
			t.Errorf("class %s occurs in %d languages", c, n)
		}
	}
	if _, err := os.Stat(filepath.Join("testdata", "eval", "intl", "README.md")); err != nil {
		t.Errorf("testdata/eval/intl has no README: %v", err)
	}
}

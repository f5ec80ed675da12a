package dedupe

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wirefeed/wirefeed"
)

// Explanation says how two stored items compare under the Engine's rules
// and what it concludes, for `wirefeed explain`: the text each was compared
// by (after the page around the article, furniture and boilerplate were
// taken out, with what was left out and why), the figures, and every rule
// with whether it held.
type Explanation struct {
	A, B ItemFacts
	// Overlap of the cleaned bodies (token 5-shingles); zero when either
	// is title-only.
	Shared      int
	Jaccard     float64
	Containment float64
	Lede        float64
	// Opening is how many shingles of the shorter body, from its start,
	// the longer has; RestN how many it has beyond, RestShared how many of
	// those the longer has too (the rest rule).
	Opening, RestN, RestShared int
	// Bands the items share in the index: a candidate needs one.
	BodyBands, LedeBands, TitleBands int
	Candidate                        bool
	// Title rule.
	TitleSimilarity float64
	TitleGap        time.Duration
	// SameStory reports whether the store has them in one story now.
	SameStory bool
	// RootID is the root of B's story (0: none), which A must be loosely
	// like to join it (RootLoose) and must not contradict unless B holds
	// them both (RootContradicts).
	RootID          int64
	RootLoose       bool
	RootContradicts bool
	// Rules are the rules in the order the Engine applies them, each with
	// whether it held and the figures it read.
	Rules []Rule
	// Same is the Engine's verdict on the pair, and Why its reason.
	Same bool
	Why  string

	opt Options
}

// Rule is one rule of an Explanation.
type Rule struct {
	Name   string
	Held   bool
	Detail string
}

// ItemFacts describes one item of an Explanation.
type ItemFacts struct {
	Item     wirefeed.StoredItem
	RawWords int // words of the body as stored
	Words    int // words left after extraction and boilerplate removal; 0 = title-only
	Shingles int
	TitleKey string // the title as compared
	Source   string // the learned source suffixes its title names ("" when none)
	// Compared is the text the body was compared by, one line per kept
	// paragraph; Dropped what was left out of it, and why.
	Compared []string
	Dropped  []DroppedLine
}

// Explain compares two stored items as Match would compare b as a
// candidate for a, reading what it needs (b's story root) through l. It
// needs the learned boilerplate (LoadBoilerplate or Rebuild), not the index.
func (e *Engine) Explain(ctx context.Context, l wirefeed.Lookup, a, b wirefeed.StoredItem) (Explanation, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := Explanation{opt: e.opt}
	facts := func(it wirefeed.StoredItem) (prepared, ItemFacts) {
		var tr bodyTrace
		text := bodyText(it.Text, it.Summary)
		e.shingleBody(it.Feed, it.Title, text, &tr)
		p := e.prepare(it.Feed, it.Title, text)
		return p, ItemFacts{Item: it, RawWords: wordsOf(countUnits(text, 1<<30)), Words: p.words, Shingles: len(p.body.set),
			TitleKey: p.title, Source: strings.ReplaceAll(p.source, "\x1f", " / "), Compared: tr.Kept, Dropped: tr.Dropped}
	}
	pa, fa := facts(a)
	pb, fb := facts(b)
	x.A, x.B = fa, fb
	x.SameStory = a.StoryID != "" && a.StoryID == b.StoryID
	x.BodyBands = sharedBands(pa.sig.body, pb.sig.body, bodyRows)
	x.LedeBands = sharedBands(pa.sig.lede, pb.sig.lede, bodyRows)
	x.TitleBands = sharedBands(pa.sig.title, pb.sig.title, titleRows)
	x.TitleSimilarity = titleSimilarity(pa.titleGrams(), pb.titleGrams())
	x.TitleGap = a.Published.Sub(b.Published).Abs()

	rule := func(name string, held bool, format string, args ...any) {
		x.Rules = append(x.Rules, Rule{name, held, fmt.Sprintf(format, args...)})
	}
	sameURL := a.URL != "" && a.URL == b.URL
	rule("same item", sameURL, "canonical URLs %s", map[bool]string{true: "equal", false: "differ"}[sameURL])
	sameBody := pa.bodyHash != 0 && pa.bodyHash == pb.bodyHash
	rule("same copy", sameBody, "identical bodies once boilerplate is removed: %s", yesNo(sameBody))

	bodies := pa.words > 0 && pb.words > 0
	var o overlap
	if bodies {
		o = compare(pa.body, pb.body)
		x.Shared, x.Jaccard, x.Containment, x.Lede = o.Shared, o.Jaccard, o.Containment, o.Lede
		x.Opening, x.RestN, x.RestShared = o.Opening, o.RestN, o.RestShared
		rule("shared shingles", o.Shared >= minShared, "%d (at least %d)", o.Shared, minShared)
		rule("Jaccard", o.Jaccard >= e.opt.Jaccard, "%.3f (same copy at %.2f)", o.Jaccard, e.opt.Jaccard)
		rule("containment", o.Containment >= e.opt.Containment, "%.3f (same copy at %.2f: one body holds the other)", o.Containment, e.opt.Containment)
		rule("lede", o.Lede >= minLede, "%.2f (at least %.2f: the shorter body's opening is in the longer one's first part)", o.Lede, minLede)
		rule("rest", o.restAlike(), "%s", restDetail(o))
		rule("no contradiction", !o.contradicts(), "%s", map[bool]string{
			true:  "they open alike, then differ: two stories that share an opening (unless a fuller copy in the story holds both)",
			false: "they do not open alike and then differ"}[o.contradicts()])
	}
	switch {
	case sameURL:
		x.Same, x.Why, x.Candidate = true, "the same item: same canonical URL", true
	case sameBody:
		x.Same, x.Why, x.Candidate = true, "the same copy: identical bodies once boilerplate is removed", true
	case bodies:
		x.Candidate = x.BodyBands+x.LedeBands > 0
		x.Same, x.Why = e.explainBodies(o)
		if x.Same {
			if err := e.explainRoot(ctx, l, &x, &pa, &pb, b); err != nil {
				return x, err
			}
		}
	default:
		x.Candidate = x.TitleBands > 0 && (pa.words == 0 || pb.words == 0)
		x.Same, x.Why = e.explainTitles(a, b, &pa, &pb, rule)
	}
	if x.Same && !x.Candidate {
		x.Why += "; but they share no band in the index, so Match would not have compared them"
	}
	return x, nil
}

func restDetail(o overlap) string {
	switch {
	case o.RestN == 0:
		return fmt.Sprintf("the shorter body is all in the opening of %d shingles they share", o.Opening)
	case o.Opening == 0:
		return fmt.Sprintf("no shared opening; %d of the shorter body's %d shingles are in the longer", o.RestShared, o.RestN)
	case o.RestN < restMinShingles:
		return fmt.Sprintf("they share an opening of %d shingles, and the shorter has only %d after it (fewer than %d: a summary)", o.Opening, o.RestN, restMinShingles)
	}
	return fmt.Sprintf("after an opening of %d shingles they share %d of the shorter body's %d further shingles (%.2f; at least %.2f)",
		o.Opening, o.RestShared, o.RestN, float64(o.RestShared)/float64(o.RestN), restMin)
}

func (e *Engine) explainBodies(o overlap) (bool, string) {
	if e.strong(o) {
		if o.Jaccard >= e.opt.Jaccard {
			return true, fmt.Sprintf("same copy: Jaccard %.3f >= %.2f and they open alike (lede %.2f)", o.Jaccard, e.opt.Jaccard, o.Lede)
		}
		return true, fmt.Sprintf("same copy: one body holds the other (containment %.3f >= %.2f) and they open alike (lede %.2f)", o.Containment, e.opt.Containment, o.Lede)
	}
	var why []string
	if o.Jaccard < e.opt.Jaccard && o.Containment < e.opt.Containment {
		why = append(why, fmt.Sprintf("Jaccard %.3f < %.2f and containment %.3f < %.2f", o.Jaccard, e.opt.Jaccard, o.Containment, e.opt.Containment))
	}
	if o.Lede < minLede {
		why = append(why, fmt.Sprintf("they do not open alike (lede %.2f < %.2f)", o.Lede, minLede))
	}
	if !o.restAlike() {
		why = append(why, fmt.Sprintf("they share an opening, then differ (%d of %d further shingles shared)", o.RestShared, o.RestN))
	}
	if o.Shared < minShared {
		why = append(why, fmt.Sprintf("only %d shared shingles (< %d)", o.Shared, minShared))
	}
	return false, "not the same copy: " + strings.Join(why, "; ")
}

func (e *Engine) explainRoot(ctx context.Context, l wirefeed.Lookup, x *Explanation, pa, pb *prepared, b wirefeed.StoredItem) error {
	if b.StoryID == "" {
		return nil
	}
	root, err := l.StoryRoot(ctx, b.StoryID)
	if err != nil || root == 0 {
		return err
	}
	x.RootID = root
	its, err := l.Items(ctx, []int64{root})
	if err != nil || len(its) == 0 {
		return err
	}
	rp := e.prepareStored(its[0], map[int64]*prepared{})
	o := compare(pa.body, rp.body)
	x.RootLoose = rp.words > 0 && e.loose(o)
	x.RootContradicts = rp.words > 0 && o.contradicts() && !e.resolved(pa, rp, []*prepared{pb})
	x.Rules = append(x.Rules, Rule{"root", x.RootLoose && !x.RootContradicts,
		fmt.Sprintf("item %d, the root of B's story: Jaccard %.3f, containment %.3f (loosely alike at half the thresholds: %s; contradicts A: %s)",
			root, o.Jaccard, o.Containment, yesNo(x.RootLoose), yesNo(x.RootContradicts))})
	switch {
	case !x.RootLoose:
		x.Same = false
		x.Why = fmt.Sprintf("the bodies are the same copy, but A is not even loosely like the root of B's story (item %d), so A would not join it: weak links are never chained", root)
	case x.RootContradicts:
		x.Same = false
		x.Why = fmt.Sprintf("the bodies are the same copy, but A contradicts the root of B's story (item %d): they open alike, then differ, and B does not hold both", root)
	}
	return nil
}

func (e *Engine) explainTitles(a, b wirefeed.StoredItem, pa, pb *prepared, rule func(string, bool, string, ...any)) (bool, string) {
	sim, fail := e.titleMatch(a.Feed, a.Published, pa, b, pb)
	rule("title", fail == "", "similarity %.3f of %q and %q (title rule at %.2f, within %s, titles of %d words or more; one feed only when they name different learned sources)%s",
		sim, pa.title, pb.title, e.opt.TitleSimilarity, short(e.opt.TitleWindow), titleMinWords, map[bool]string{true: "", false: ": " + fail}[fail == ""])
	if fail == "" {
		from := "from different feeds"
		if a.Feed == b.Feed {
			from = fmt.Sprintf("from one aggregator naming different sources (%q, %q)", pa.source, pb.source)
		}
		return true, fmt.Sprintf("title rule: near-identical titles (similarity %.3f) %s, %s apart", sim, from, short(a.Published.Sub(b.Published).Abs()))
	}
	return false, "not the same story: one is title-only and the title rule fails: " + fail
}

// Write prints the explanation for an operator.
func (x Explanation) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	item := func(name string, f ItemFacts) {
		it := f.Item
		fmt.Fprintf(tw, "%s\titem %d in %q, story %s\n", name, it.ID, it.Feed, it.StoryID)
		fmt.Fprintf(tw, "\ttitle %q\n", it.Title)
		src := ""
		if f.Source != "" {
			src = fmt.Sprintf(", naming the source %q", f.Source)
		}
		fmt.Fprintf(tw, "\tcompared as %q%s\n", f.TitleKey, src)
		if it.URL != "" {
			fmt.Fprintf(tw, "\t%s\n", it.URL)
		}
		fmt.Fprintf(tw, "\tpublished %s\n", it.Published.UTC().Format(time.RFC3339))
		if f.Words == 0 {
			fmt.Fprintf(tw, "\tbody: %d words, %s\n", f.RawWords, "title-only once the page and boilerplate are removed")
		} else {
			fmt.Fprintf(tw, "\tbody: %d words, %d after extraction and boilerplate removal, %d shingles\n", f.RawWords, f.Words, f.Shingles)
		}
	}
	item("A", x.A)
	item("B", x.B)
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "rules\t\n")
	for _, r := range x.Rules {
		fmt.Fprintf(tw, "\t%s\t%s\t%s\n", r.Name, map[bool]string{true: "holds", false: "FAILS"}[r.Held], r.Detail)
	}
	fmt.Fprintf(tw, "title\tsimilarity\t%.3f\t(title rule at %.2f, within %s)\n", x.TitleSimilarity, x.opt.TitleSimilarity, short(x.opt.TitleWindow))
	fmt.Fprintf(tw, "\tpublished apart\t%s\t\n", short(x.TitleGap))
	fmt.Fprintf(tw, "index\tshared bands\tbody %d/%d, lede %d/%d, title %d/%d\t(candidate: %s)\n",
		x.BodyBands, bodyHashes/bodyRows, x.LedeBands, ledeHashes/bodyRows, x.TitleBands, titleHashes/titleRows, yesNo(x.Candidate))
	if x.RootID != 0 {
		fmt.Fprintf(tw, "root\tof B's story\titem %d\t(A loosely like it: %s)\n", x.RootID, yesNo(x.RootLoose))
	}
	fmt.Fprintf(tw, "stored\tin one story now\t%s\t\n", yesNo(x.SameStory))
	fmt.Fprintln(tw)
	verdict := "DIFFERENT stories"
	if x.Same {
		verdict = "the SAME story"
	}
	fmt.Fprintf(tw, "decision\t%s: %s\n", verdict, x.Why)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		f    ItemFacts
	}{{"A", x.A}, {"B", x.B}} {
		fmt.Fprintf(w, "\ncompared text of %s (after extraction):\n", f.name)
		if len(f.f.Compared) == 0 {
			fmt.Fprintln(w, "  (none)")
		}
		for _, line := range f.f.Compared {
			fmt.Fprintf(w, "  | %s\n", line)
		}
		if len(f.f.Dropped) > 0 {
			fmt.Fprintf(w, "left out of %s:\n", f.name)
		}
		for i, d := range f.f.Dropped {
			if i == maxDroppedShown {
				fmt.Fprintf(w, "  ... and %d more\n", len(f.f.Dropped)-i)
				break
			}
			fmt.Fprintf(w, "  - %q: %s\n", clip(d.Line, 100), d.Why)
		}
	}
	return nil
}

// maxDroppedShown bounds the left-out lines printed per item.
const maxDroppedShown = 40

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// short formats a duration to the minute without zero units: "24h",
// "2h10m", "0m".
func short(d time.Duration) string {
	s := d.Round(time.Minute).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0m"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

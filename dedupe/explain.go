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
// and what it concludes, for `wirefeed explain`.
type Explanation struct {
	A, B ItemFacts
	// Overlap of the cleaned bodies (word 5-shingles); zero when either is
	// title-only.
	Shared      int
	Jaccard     float64
	Containment float64
	Lede        float64
	// Bands the items share in the index: a candidate needs one.
	BodyBands, LedeBands, TitleBands int
	Candidate                        bool
	// Title rule.
	TitleSimilarity float64
	TitleGap        time.Duration
	// SameStory reports whether the store has them in one story now.
	SameStory bool
	// RootLoose is whether A is loosely like the root of B's story, which
	// joining that story needs; RootID is that root (0: none).
	RootID    int64
	RootLoose bool
	// Same is the Engine's verdict on the pair, and Why its reason.
	Same bool
	Why  string

	opt Options
}

// ItemFacts describes one item of an Explanation.
type ItemFacts struct {
	Item     wirefeed.StoredItem
	RawWords int // words of the body as stored
	Words    int // words left after boilerplate removal; 0 = title-only
	Shingles int
	TitleKey string // the title as compared
}

// Explain compares two stored items as Match would compare b as a
// candidate for a, reading what it needs (b's story root) through l. It
// needs the learned boilerplate (LoadBoilerplate or Rebuild), not the index.
func (e *Engine) Explain(ctx context.Context, l wirefeed.Lookup, a, b wirefeed.StoredItem) (Explanation, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := Explanation{opt: e.opt}
	pa := e.prepare(a.Feed, a.Title, bodyText(a.Text, a.Summary))
	pb := e.prepare(b.Feed, b.Title, bodyText(b.Text, b.Summary))
	fill := func(it wirefeed.StoredItem, p *prepared) ItemFacts {
		return ItemFacts{Item: it, RawWords: len(Words(bodyText(it.Text, it.Summary))), Words: p.words, Shingles: len(p.body.set), TitleKey: p.title}
	}
	x.A, x.B = fill(a, &pa), fill(b, &pb)
	x.SameStory = a.ClusterID != "" && a.ClusterID == b.ClusterID
	x.BodyBands = sharedBands(pa.sig.body, pb.sig.body, bodyRows)
	x.LedeBands = sharedBands(pa.sig.lede, pb.sig.lede, bodyRows)
	x.TitleBands = sharedBands(pa.sig.title, pb.sig.title, titleRows)
	x.TitleSimilarity = titleSimilarity(pa.grams, pb.grams)
	x.TitleGap = a.Published.Sub(b.Published).Abs()

	bodies := pa.words > 0 && pb.words > 0
	var o overlap
	if bodies {
		o = compare(pa.body, pb.body)
		x.Shared, x.Jaccard, x.Containment, x.Lede = o.Shared, o.Jaccard, o.Containment, o.Lede
	}
	switch {
	case a.URL != "" && a.URL == b.URL:
		x.Same, x.Why, x.Candidate = true, "the same item: same canonical URL", true
	case pa.bodyHash != 0 && pa.bodyHash == pb.bodyHash:
		x.Same, x.Why, x.Candidate = true, "the same copy: identical bodies once boilerplate is removed", true
	case bodies:
		x.Candidate = x.BodyBands+x.LedeBands > 0
		x.Same, x.Why = e.explainBodies(o)
		if x.Same {
			if err := e.explainRoot(ctx, l, &x, &pa, b); err != nil {
				return x, err
			}
		}
	default:
		x.Candidate = x.TitleBands > 0 && (pa.words == 0 || pb.words == 0)
		x.Same, x.Why = e.explainTitles(a, b, &pa, &pb)
	}
	if x.Same && !x.Candidate {
		x.Why += "; but they share no band in the index, so Match would not have compared them"
	}
	return x, nil
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
	if o.Shared < minShared {
		why = append(why, fmt.Sprintf("only %d shared shingles (< %d)", o.Shared, minShared))
	}
	return false, "not the same copy: " + strings.Join(why, "; ")
}

func (e *Engine) explainRoot(ctx context.Context, l wirefeed.Lookup, x *Explanation, pa *prepared, b wirefeed.StoredItem) error {
	if b.ClusterID == "" {
		return nil
	}
	root, err := l.ClusterRoot(ctx, b.ClusterID)
	if err != nil || root == 0 {
		return err
	}
	x.RootID = root
	its, err := l.Items(ctx, []int64{root})
	if err != nil || len(its) == 0 {
		return err
	}
	rp := e.prepareStored(its[0], map[int64]*prepared{})
	x.RootLoose = rp.words > 0 && e.loose(compare(pa.body, rp.body))
	if !x.RootLoose {
		x.Same = false
		x.Why = fmt.Sprintf("the bodies are the same copy, but A is not even loosely like the root of B's story (item %d), so A would not join it: weak links are never chained", root)
	}
	return nil
}

func (e *Engine) explainTitles(a, b wirefeed.StoredItem, pa, pb *prepared) (bool, string) {
	sim, fail := e.titleMatch(a.Feed, a.Published, pa, b, pb)
	if fail == "" {
		return true, fmt.Sprintf("title rule: near-identical titles (similarity %.3f) from different feeds, %s apart", sim, short(a.Published.Sub(b.Published).Abs()))
	}
	var why []string
	switch {
	case a.Feed == b.Feed:
		why = append(why, "same feed")
	case countWords(pa.title, titleMinWords) < titleMinWords:
		why = append(why, fmt.Sprintf("title shorter than %d words", titleMinWords))
	}
	if gap := a.Published.Sub(b.Published).Abs(); gap > e.opt.TitleWindow {
		why = append(why, fmt.Sprintf("published %s apart (> %s)", short(gap), short(e.opt.TitleWindow)))
	}
	if pa.words == 0 && pb.words == 0 {
		if pa.title != pb.title {
			why = append(why, "both title-only and the titles differ")
		}
	} else if sim < e.opt.TitleSimilarity {
		why = append(why, fmt.Sprintf("title similarity %.3f < %.2f", sim, e.opt.TitleSimilarity))
	}
	return false, "not the same story: one is title-only and the title rule fails: " + strings.Join(why, "; ")
}

// Write prints the explanation for an operator.
func (x Explanation) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	item := func(name string, f ItemFacts) {
		it := f.Item
		fmt.Fprintf(tw, "%s\titem %d in %q, story %s\n", name, it.ID, it.Feed, it.ClusterID)
		fmt.Fprintf(tw, "\ttitle %q\n", it.Title)
		if it.URL != "" {
			fmt.Fprintf(tw, "\t%s\n", it.URL)
		}
		fmt.Fprintf(tw, "\tpublished %s\n", it.Published.UTC().Format(time.RFC3339))
		if f.Words == 0 {
			fmt.Fprintf(tw, "\tbody: %d words, %s\n", f.RawWords, "title-only once boilerplate is removed")
		} else {
			fmt.Fprintf(tw, "\tbody: %d words, %d after boilerplate removal, %d shingles\n", f.RawWords, f.Words, f.Shingles)
		}
	}
	item("A", x.A)
	item("B", x.B)
	fmt.Fprintln(tw)
	if x.A.Words > 0 && x.B.Words > 0 {
		fmt.Fprintf(tw, "body\tshared shingles\t%d\t(at least %d)\n", x.Shared, minShared)
		fmt.Fprintf(tw, "\tJaccard\t%.3f\t(same copy at %.2f)\n", x.Jaccard, x.opt.Jaccard)
		fmt.Fprintf(tw, "\tcontainment\t%.3f\t(same copy at %.2f)\n", x.Containment, x.opt.Containment)
		fmt.Fprintf(tw, "\tlede\t%.3f\t(at least %.2f: they open alike)\n", x.Lede, minLede)
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
	return tw.Flush()
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

package dedupe

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed"
)

// verdict is the outcome of the near-duplicate rules for one item.
type verdict struct {
	story string   // "" for a new story
	merge []string // stories folded into story
	rule  wirefeed.MatchRule
}

// link is a verified match between the item being decided and a stored
// member of some story.
type link struct {
	member  wirefeed.StoredItem
	score   float64 // higher is more alike
	overlap overlap
	title   float64 // title similarity, for title links
	root    *prepared
}

// strong reports whether an overlap makes two bodies the same copy: they
// share most of their shingles (Jaccard) or one holds most of the other
// (containment), and they open alike (the lede rule), which a shared footer,
// quote or "See also" line does not make them do; and beyond the opening
// they share, the shorter has a good part of the rest in common with the
// longer (the rest rule), which two live blogs or two editions of a column
// that open with the same paragraph do not: they share next to nothing
// after it.
func (e *Engine) strong(o overlap) bool {
	if o.Shared < minShared || o.Lede < minLede || !o.restAlike() {
		return false
	}
	return o.Jaccard >= e.opt.Jaccard || o.Containment >= e.opt.Containment
}

// restAlike reports whether the rest rule holds: the shorter body has too
// little beyond the opening the two share to tell (a summary of it), or
// shares at least restMin of it (a copy that inserted a sentence after the
// opening shares less than all, a live blog next to nothing).
func (o overlap) restAlike() bool {
	return o.RestN < restMinShingles || float64(o.RestShared) >= restMin*float64(o.RestN)
}

// contradicts reports whether two bodies look like different stories that
// open alike: the same opening, then different text. Two copies of one
// article cut or edited differently (one dropped a sentence that the other
// kept) look like that too, but then a fuller copy holds them both; two
// live blogs or two editions of a column have none. So a contradiction
// stands unless a third body covers both (see resolved): an item never
// joins a story that has a member its body contradicts, and two stories
// whose members contradict each other never merge, whatever short item
// fits both.
func (o overlap) contradicts() bool {
	return o.Opening > 0 && o.Lede >= minLede && !o.restAlike()
}

// covers reports whether body c holds body x: x is not longer, and they
// are the same copy.
func (e *Engine) covers(c, x *prepared) bool {
	return len(x.body.set) <= len(c.body.set) && e.strong(compare(x.body, c.body))
}

// resolved reports whether one of cs covers both x and y.
func (e *Engine) resolved(x, y *prepared, cs []*prepared) bool {
	for _, c := range cs {
		if c != x && c != y && e.covers(c, x) && e.covers(c, y) {
			return true
		}
	}
	return false
}

// loose reports whether an overlap is enough for a member to stay with a
// story's root: half the thresholds, no lede rule.
func (e *Engine) loose(o overlap) bool {
	return o.Shared >= minShared && (o.Jaccard >= rootFactor*e.opt.Jaccard || o.Containment >= rootFactor*e.opt.Containment)
}

// titleMatch reports whether a title is strong evidence that two items are
// the same story: titles of titleMinWords words or more, similar at
// TitleSimilarity or more once slugs and source suffixes are removed
// (title.go), published within the title window, from different feeds or
// from one aggregator pool naming different sources, and, when neither
// has a body, with the same numbers. q is the stored item's prepared
// title. It returns the similarity and, when the rule fails, why.
func (e *Engine) titleMatch(feed string, published time.Time, p *prepared, it wirefeed.StoredItem, q *prepared) (float64, string) {
	sim := titleSimilarity(p.titleGrams(), q.titleGrams())
	switch {
	case countUnits(p.title, titleMinWords*unitsPerWord) < titleMinWords*unitsPerWord:
		return sim, fmt.Sprintf("title shorter than %d words", titleMinWords)
	case it.Feed == feed && (p.source == "" || q.source == ""):
		return sim, "same feed, and the titles name no learned source"
	case it.Feed == feed && p.source == q.source:
		return sim, "same feed and the same source"
	}
	if gap := published.Sub(it.Published).Abs(); gap > e.opt.TitleWindow {
		return sim, fmt.Sprintf("published %s apart (> %s)", short(gap), short(e.opt.TitleWindow))
	}
	if sim < e.opt.TitleSimilarity {
		return sim, fmt.Sprintf("title similarity %.3f < %.2f", sim, e.opt.TitleSimilarity)
	}
	if p.words == 0 && it.Words == 0 && !slices.Equal(numbersOf(p.title), numbersOf(q.title)) {
		// "Key events, day 912" and "day 913": with no body on either
		// side, a title is all the evidence, and its numbers are what a
		// recurring headline changes.
		return sim, "both title-only, and their titles carry different numbers"
	}
	return sim, ""
}

// numbersOf returns the numbers of a title key, sorted.
func numbersOf(key string) []string {
	var out []string
	for _, w := range strings.Fields(key) {
		if w[0] >= '0' && w[0] <= '9' {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

// candidates returns the indexed and pending items that share bands with
// p's signature. The session's pending items are found as the index finds
// its items, through the band keys they are listed under.
func (e *Engine) candidates(ctx context.Context, l wirefeed.Lookup, seen time.Time, p *prepared) ([]hit, error) {
	keys, nBody := p.sig.probes(nil)
	hits := e.idx.query(keys, nBody, dayOf(seen)-e.days)
	if len(e.tx.byKey) == 0 {
		return hits, nil
	}
	var pending map[int32]*hit
	var order []int32
	for ki, k := range keys {
		e.tx.pendingUnder(k, func(i int32) {
			h := pending[i]
			if h == nil {
				if pending == nil {
					pending = map[int32]*hit{}
				}
				h = &hit{}
				pending[i] = h
				order = append(order, i)
			}
			if ki < nBody {
				h.bodyHits++
			} else {
				h.titleHits++
			}
		})
	}
	slices.Sort(order)
	for _, i := range order {
		pi, h := &e.tx.items[i], pending[i]
		if pi.id == 0 {
			id, err := l.ItemID(ctx, pi.feed, pi.guid)
			if err != nil {
				return nil, fmt.Errorf("dedupe: item lookup: %w", err)
			}
			pi.id = id
		}
		if !pi.sig.bodied() {
			h.flags |= flagTitleOnly
		}
		h.id = pi.id
		hits = append(hits, *h)
	}
	return hits, nil
}

// sharedBands counts the bands two signature parts agree on.
func sharedBands(a, b []uint32, rows int) int {
	if a == nil || b == nil {
		return 0
	}
	n := 0
	for i := 0; i+rows <= len(a); i += rows {
		if slices.Equal(a[i:i+rows], b[i:i+rows]) {
			n++
		}
	}
	return n
}

// A body link's score is its containment, plus half its Jaccard
// similarity, plus titleBonus times the titles' similarity: between two
// stories that a short item fits alike (a summary of an opening they
// share), the one whose titles match its own wins, however long each is.
const titleBonus = 0.5

// near applies the near-duplicate and title rules: it gathers the stored
// items the index proposes, links p to the stories of those it matches,
// drops the links their stories' roots and members do not bear out, and
// chooses the story p joins and the stories it merges.
func (e *Engine) near(ctx context.Context, l wirefeed.Lookup, c wirefeed.Candidate, p *prepared) (verdict, error) {
	m := &nearMatch{e: e, l: l, c: c, p: p}
	bodyCands, titleCands, err := m.gather(ctx)
	if err != nil || len(bodyCands)+len(titleCands) == 0 {
		return verdict{}, err // most items: nothing to compare
	}
	m.cache, m.titles = map[int64]*prepared{}, map[int64]*prepared{}
	m.bodyLinks, m.titleLinks = map[string]*link{}, map[string]*link{}
	m.contradicted, m.members, m.vetoed = map[string][]*prepared{}, map[string][]*prepared{}, map[string]bool{}
	m.linkBodies(bodyCands)
	m.linkTitles(titleCands)
	if err := m.checkRoots(ctx); err != nil {
		return verdict{}, err
	}
	m.dropVetoed()
	if err := m.dropTitleLinksToBodies(ctx); err != nil {
		return verdict{}, err
	}
	return m.choose(), nil
}

// nearMatch is one candidate's near-duplicate decision in progress: the
// stored items it is compared with, prepared once, and the links it
// makes to their stories.
type nearMatch struct {
	e *Engine
	l wirefeed.Lookup
	c wirefeed.Candidate
	p *prepared

	items  map[int64]wirefeed.StoredItem // the candidates read from the store
	cache  map[int64]*prepared           // stored items prepared with their bodies
	titles map[int64]*prepared           // stored items prepared by title alone

	bodyLinks    map[string]*link       // per story, its best body link
	titleLinks   map[string]*link       // per story, its best title link
	contradicted map[string][]*prepared // per story, the members p's body contradicts
	members      map[string][]*prepared // per story, the bodied members compared
	vetoed       map[string]bool        // stories p is not the same story as (dropVetoed)
}

// gather returns the candidates worth comparing, by body and by title,
// and reads their stored items.
func (m *nearMatch) gather(ctx context.Context) (bodyCands, titleCands []hit, err error) {
	hits, err := m.e.candidates(ctx, m.l, m.c.Seen, m.p)
	if err != nil || len(hits) == 0 {
		return nil, nil, err
	}
	bodyHits := func(h hit) int { return h.bodyHits }
	titleHits := func(h hit) int { return h.titleHits }
	isTitleOnly := func(h hit) bool { return h.flags&flagTitleOnly != 0 }
	hasBody := func(h hit) bool { return !isTitleOnly(h) }
	all := func(hit) bool { return true }

	if m.p.words > 0 {
		bodyCands = top(hits, maxBodyCandidates, bodyHits, hasBody)
		titleCands = top(hits, maxTitleCandidates, titleHits, isTitleOnly)
	} else {
		titleCands = top(hits, maxTitleCandidates, titleHits, all)
	}
	m.items, err = m.e.fetch(ctx, m.l, append(slices.Clone(bodyCands), titleCands...))
	if err != nil {
		return nil, nil, err
	}
	return bodyCands, titleCands, nil
}

// titleOf returns a stored item prepared for comparing titles: with its
// body when it was prepared so already.
func (m *nearMatch) titleOf(it wirefeed.StoredItem) *prepared {
	q := m.titles[it.ID]
	if q == nil {
		q = m.cache[it.ID] // prepared with its body
	}
	if q == nil {
		q = &prepared{}
		m.e.prepareTitle(q, it.Feed, it.Title)
		m.titles[it.ID] = q
	}
	return q
}

// linkBodies links p to the story of every body candidate that is the
// same copy, and notes the members p's body contradicts.
func (m *nearMatch) linkBodies(cands []hit) {
	p := m.p
	for _, h := range cands {
		it, ok := m.items[h.id]
		if !ok {
			continue
		}
		q := m.e.prepareStored(it, m.cache)
		if q.words == 0 {
			continue
		}
		m.members[it.StoryID] = append(m.members[it.StoryID], q)
		o := compare(p.body, q.body)
		if o.contradicts() {
			m.contradicted[it.StoryID] = append(m.contradicted[it.StoryID], q)
			continue
		}
		if !m.e.strong(o) {
			continue
		}
		lk := &link{member: it, score: o.Containment + o.Jaccard/2 + titleBonus*titleSimilarity(p.titleGrams(), m.titleOf(it).titleGrams()), overlap: o}
		if old := m.bodyLinks[it.StoryID]; old == nil || lk.score > old.score {
			m.bodyLinks[it.StoryID] = lk
		}
	}
}

// linkTitles links p to the story of every title candidate whose title
// matches (titleMatch).
func (m *nearMatch) linkTitles(cands []hit) {
	for _, h := range cands {
		it, ok := m.items[h.id]
		if !ok {
			continue
		}
		sim, why := m.e.titleMatch(m.c.Feed, m.c.Item.Published, m.p, it, m.titleOf(it))
		if why != "" {
			continue
		}
		score := sim
		if it.Words > 0 {
			score++ // a member with a body is better evidence
		}
		lk := &link{member: it, score: score, title: sim}
		if old := m.titleLinks[it.StoryID]; old == nil || lk.score > old.score {
			m.titleLinks[it.StoryID] = lk
		}
	}
}

// checkRoots keeps a body link only when it also holds loosely against its
// story's root, and counts the root among the story's members.
func (m *nearMatch) checkRoots(ctx context.Context) error {
	for cl, lk := range m.bodyLinks {
		root, err := m.e.root(ctx, m.l, cl, m.items, m.cache)
		if err != nil {
			return err
		}
		if root == nil {
			continue // the story has no body yet
		}
		o := compare(m.p.body, root.body)
		if !m.e.loose(o) {
			delete(m.bodyLinks, cl)
			continue
		}
		if !slices.Contains(m.members[cl], root) {
			m.members[cl] = append(m.members[cl], root)
			if o.contradicts() {
				m.contradicted[cl] = append(m.contradicted[cl], root)
			}
		}
		lk.root = root
	}
	return nil
}

// dropVetoed drops the links to stories with a member that p contradicts,
// unless another member holds them both: such a story is another story.
func (m *nearMatch) dropVetoed() {
	for cl, ms := range m.contradicted {
		for _, q := range ms {
			if !m.e.resolved(m.p, q, m.members[cl]) {
				m.vetoed[cl] = true
				delete(m.bodyLinks, cl)
				break
			}
		}
	}
}

// dropTitleLinksToBodies keeps a title link from an item with a body only
// to a story that has no body: where bodies exist, bodies decide.
func (m *nearMatch) dropTitleLinksToBodies(ctx context.Context) error {
	if m.p.words == 0 {
		return nil
	}
	for cl := range m.titleLinks {
		if m.bodyLinks[cl] != nil || m.vetoed[cl] {
			delete(m.titleLinks, cl)
			continue
		}
		id, err := m.l.StoryRoot(ctx, cl)
		if err != nil {
			return fmt.Errorf("dedupe: story root: %w", err)
		}
		if id != 0 {
			delete(m.titleLinks, cl)
		}
	}
	return nil
}

// choose returns the verdict: the story of the best body link, else of
// the best title link, or a new story; and the stories the item shows to
// be the same as it (mergeGroup), which fold into the oldest of them.
func (m *nearMatch) choose() verdict {
	rule := wirefeed.RuleNearDuplicate
	best := bestLink(m.bodyLinks)
	if best == nil {
		best, rule = bestLink(m.titleLinks), wirefeed.RuleTitle
		if best == nil {
			return verdict{}
		}
	}
	v := verdict{story: best.member.StoryID, rule: rule}
	if rule == wirefeed.RuleTitle && m.p.words == 0 {
		return v // a title-only item joins; it never merges stories
	}
	group := m.mergeGroup(best)
	if len(group) == 1 {
		return v
	}
	slices.SortFunc(group, func(a, b *link) int {
		if c := a.member.StoryFirstSeen.Compare(b.member.StoryFirstSeen); c != 0 {
			return c
		}
		return cmp.Compare(a.member.StoryID, b.member.StoryID)
	})
	v.story = group[0].member.StoryID
	for _, lk := range group[1:] {
		v.merge = append(v.merge, lk.member.StoryID)
	}
	v.rule = rule.WithMerge()
	return v
}

// mergeGroup returns best's link and those of the other stories this item
// matches strongly, whose roots are the same copy as the best one's and
// whose members do not contradict the best story's (unless a body among
// them and the item holds both), and of the stories with no body that its
// title matches.
func (m *nearMatch) mergeGroup(best *link) []*link {
	group := []*link{best}
	for cl, lk := range m.bodyLinks {
		if cl == best.member.StoryID {
			continue
		}
		if best.root != nil && lk.root != nil && !m.e.strong(compare(best.root.body, lk.root.body)) {
			continue
		}
		if m.e.storiesContradict(m.p, m.members[best.member.StoryID], m.members[cl]) {
			continue
		}
		group = append(group, lk)
	}
	for cl, lk := range m.titleLinks {
		if cl != best.member.StoryID {
			group = append(group, lk)
		}
	}
	return group
}

// storiesContradict reports whether a body of xs contradicts a body of ys
// and no other body among them, or p, holds both.
func (e *Engine) storiesContradict(p *prepared, xs, ys []*prepared) bool {
	all := append(append([]*prepared{p}, xs...), ys...)
	for _, x := range xs {
		for _, y := range ys {
			if x != y && compare(x.body, y.body).contradicts() && !e.resolved(x, y, all) {
				return true
			}
		}
	}
	return false
}

// bestLink returns the link with the highest score; ties go to the older
// story, then the lower story id, so the choice does not depend on map
// order.
func bestLink(links map[string]*link) *link {
	var best *link
	for _, lk := range links {
		if best == nil || lk.score > best.score ||
			lk.score == best.score && (lk.member.StoryFirstSeen.Before(best.member.StoryFirstSeen) ||
				lk.member.StoryFirstSeen.Equal(best.member.StoryFirstSeen) && lk.member.StoryID < best.member.StoryID) {
			best = lk
		}
	}
	return best
}

// fetch reads the candidates' stored items.
func (e *Engine) fetch(ctx context.Context, l wirefeed.Lookup, hs []hit) (map[int64]wirefeed.StoredItem, error) {
	out := map[int64]wirefeed.StoredItem{}
	if len(hs) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(hs))
	for _, h := range hs {
		ids = append(ids, h.id)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	its, err := l.Items(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("dedupe: reading candidates: %w", err)
	}
	for _, it := range its {
		out[it.ID] = it
	}
	return out, nil
}

// root returns the prepared root of a story (its earliest member with a
// body), or nil when it has none. items and cache hold the stored items
// read and prepared so far.
func (e *Engine) root(ctx context.Context, l wirefeed.Lookup, story string, items map[int64]wirefeed.StoredItem, cache map[int64]*prepared) (*prepared, error) {
	id, err := l.StoryRoot(ctx, story)
	if err != nil {
		return nil, fmt.Errorf("dedupe: story root: %w", err)
	}
	if id == 0 {
		return nil, nil
	}
	it, ok := items[id]
	if !ok {
		its, err := l.Items(ctx, []int64{id})
		if err != nil {
			return nil, fmt.Errorf("dedupe: reading story root: %w", err)
		}
		if len(its) == 0 {
			return nil, nil
		}
		it = its[0]
		items[id] = it
	}
	r := e.prepareStored(it, cache)
	if r.words == 0 {
		return nil, nil
	}
	return r, nil
}

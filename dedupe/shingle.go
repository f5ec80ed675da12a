package dedupe

import (
	"math/bits"
	"slices"
)

// Shingling. A body is compared as the set of its token 5-shingles (every
// run of five consecutive tokens: words, or character bigrams in scripts
// without spaces, see script.go), each hashed to 64 bits. Verification is
// exact on those sets; MinHash signatures (minhash.go) only find the
// candidates to verify.
const (
	shingleWords = 5
	// ledeWords is the length of a body's lede, in words: a summary or a
	// cut copy shares its first words with the full article.
	ledeWords = 20
	// headWords is how far into one body the other's lede may be found:
	// the lede of a copy is at the start of the original, give or take 40
	// words of furniture or a dropped first paragraph, not in its third
	// paragraph. The shorter body's lede is looked for in the first part of
	// the longer one: its first headWords words or its first quarter, up to
	// headMaxWords words (for what a page may leave on top of a long
	// article), but never its second half: a summary found in the middle
	// of a short digest is not its opening.
	headWords    = 60
	headMaxWords = 120
	// restMinShingles: beyond the opening two bodies share, the shorter
	// must have at least this many shingles for the rest rule to apply.
	restMinShingles = 20
	// restMin is the share of those that the same copy has in common: a
	// copy that inserted a sentence after the opening shares less than
	// all of them, two live blogs that share an opening next to none.
	restMin = 0.25
)

// shingled is a token sequence with its shingle hashes in text order.
type shingled struct {
	words int      // tokens
	seq   []uint64 // seq[i] is the shingle that starts at token i
	set   []uint64 // distinct values of seq, sorted
	// ledeTok and headTok are the tokens in the first ledeWords and
	// headWords words; firstPart the tokens of the first part in which a
	// shorter body's lede is looked for (see headWords).
	ledeTok, headTok, firstPart int
	// lede, head and first are the distinct shingles of those, sorted,
	// made once: a body is compared with many.
	lede, head, first []uint64
}

// shingle hashes the 5-shingles of a text given as its token hashes and
// their word units. A text of fewer than five tokens has a single shingle
// made of all its tokens.
func shingle(wh []uint64, units []uint8) shingled {
	s := shingled{words: len(wh)}
	if len(wh) == 0 {
		return s
	}
	n := max(len(wh)-shingleWords+1, 1)
	s.seq = make([]uint64, n)
	for i := range n {
		s.seq[i] = combine(wh[i:min(i+shingleWords, len(wh))])
	}
	s.set = sortedSet(s.seq)
	total := 0
	for _, u := range units {
		total += int(u)
	}
	first := min(max(headWords*unitsPerWord, min(total/4, headMaxWords*unitsPerWord)), max(ledeWords*unitsPerWord, total/2))
	sum := 0
	for i, u := range units {
		sum += int(u)
		if sum <= ledeWords*unitsPerWord {
			s.ledeTok = i + 1
		}
		if sum <= headWords*unitsPerWord {
			s.headTok = i + 1
		}
		if sum <= first {
			s.firstPart = i + 1
		}
	}
	s.lede = s.prefixSet(s.ledeTok)
	s.head = s.prefixSet(s.headTok)
	s.first = s.head
	if s.firstPart != s.headTok {
		s.first = s.prefixSet(s.firstPart)
	}
	return s
}

// combine hashes a run of word hashes, in order.
func combine(ws []uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, w := range ws {
		h ^= w
		h *= 0xbf58476d1ce4e5b9
		h = bits.RotateLeft64(h, 29)
	}
	return mix64(h)
}

// mix64 is the SplitMix64 finaliser: a bijection that spreads every input
// bit over the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// sortedSet returns the distinct values of xs, sorted, in a new slice.
//
// Shingle hashes are uniform, so a set of more than a few dozen is sorted
// by distributing its values into buckets by their top bits (about two
// per bucket) and sorting each bucket by insertion: about three times
// faster than a comparison sort, which was a sixth of preparing an item
// (issue 13). A bucket that holds more than it should (a flood of equal
// values, or values made to share their top bits) is comparison sorted,
// so no input costs more than the sort it replaces.
func sortedSet(xs []uint64) []uint64 {
	out := make([]uint64, len(xs))
	if len(xs) < bucketSortMin {
		copy(out, xs)
		slices.Sort(out)
		return slices.Compact(out)
	}
	shift := 64 - min(max(bits.Len(uint(len(xs)))-1, 4), 16)
	var small [512]int32 // the buckets of up to 1,023 values, without an allocation
	var ends []int32
	if n := 1 << (64 - shift); n <= len(small) {
		ends = small[:n]
	} else {
		ends = make([]int32, n)
	}
	for _, x := range xs {
		ends[x>>shift]++
	}
	sum := int32(0)
	for b, n := range ends {
		ends[b] = sum // start of bucket b, for now
		sum += n
	}
	for _, x := range xs {
		b := x >> shift
		out[ends[b]] = x
		ends[b]++ // its end once all are placed
	}
	start := int32(0)
	for _, end := range ends {
		bucket := out[start:end]
		if len(bucket) > insertionMax {
			slices.Sort(bucket)
		} else {
			for i := 1; i < len(bucket); i++ {
				for j := i; j > 0 && bucket[j] < bucket[j-1]; j-- {
					bucket[j], bucket[j-1] = bucket[j-1], bucket[j]
				}
			}
		}
		start = end
	}
	return slices.Compact(out)
}

// bucketSortMin is the smallest set sortedSet sorts by buckets;
// insertionMax the largest bucket it sorts by insertion.
const (
	bucketSortMin = 48
	insertionMax  = 24
)

// prefixSet returns the distinct shingles of the first n tokens.
func (s shingled) prefixSet(n int) []uint64 {
	k := max(min(n-shingleWords+1, len(s.seq)), min(1, len(s.seq)))
	return sortedSet(s.seq[:k])
}

// ledeSet returns the distinct shingles of the body's lede.
func (s shingled) ledeSet() []uint64 { return s.lede }

// intersect counts the values two sorted sets share.
func intersect(a, b []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// overlap is how much two bodies share.
type overlap struct {
	Shared      int     // shingles in both
	A, B        int     // distinct shingles of each
	Jaccard     float64 // Shared / |A ∪ B|
	Containment float64 // Shared / min(|A|, |B|)
	// Lede is the larger of the share of one body's lede shingles found
	// near the other's start, and the reverse: a summary or a cut copy
	// shares the article's opening, whatever furniture sits on top of
	// either. The shorter body's lede is looked for further into the
	// longer one (see headWords).
	Lede float64
	// Opening is how many shingles of the shorter body, from its start,
	// the longer one also has: the opening they share. RestN is how many
	// distinct shingles the shorter body has after it, and RestShared how
	// many of those the longer one has too. Two live blogs or two editions
	// of a column that open with the same paragraph share nothing after it.
	Opening, RestN, RestShared int
}

// compare measures the overlap of two shingled bodies.
func compare(a, b shingled) overlap {
	o := overlap{A: len(a.set), B: len(b.set)}
	if o.A == 0 || o.B == 0 {
		return o
	}
	o.Shared = intersect(a.set, b.set)
	o.Jaccard = float64(o.Shared) / float64(o.A+o.B-o.Shared)
	o.Containment = float64(o.Shared) / float64(min(o.A, o.B))
	short, long := a, b
	if o.B < o.A {
		short, long = b, a
	}
	o.Lede = max(ledeShare(short, long.first), ledeShare(long, short.head))
	o.Opening, o.RestN, o.RestShared = rest(short, long, o.Shared)
	return o
}

// rest measures what the shorter body a has beyond the opening it shares
// with b (they share shared shingles in all): see overlap.
func rest(a, b shingled, shared int) (opening, n, restShared int) {
	for opening < len(a.seq) {
		if _, ok := slices.BinarySearch(b.set, a.seq[opening]); !ok {
			break
		}
		opening++
	}
	if opening == 0 {
		return 0, len(a.set), shared
	}
	if opening == len(a.seq) {
		return opening, 0, 0
	}
	r := sortedSet(a.seq[opening:])
	return opening, len(r), intersect(r, b.set)
}

// ledeShare is the share of a's lede shingles found in head, the sorted
// shingles of the first part of another body.
func ledeShare(a shingled, head []uint64) float64 {
	lede := a.ledeSet()
	return float64(intersect(lede, head)) / float64(len(lede))
}

// titleGrams returns the distinct hashes of the character trigrams of a
// normalised title, padded with a space at each end.
func titleGrams(key string) []uint64 {
	if key == "" {
		return nil
	}
	r := []rune(" " + key + " ")
	if len(r) < 3 {
		return nil
	}
	out := make([]uint64, 0, len(r)-2)
	for i := 0; i+3 <= len(r); i++ {
		out = append(out, mix64(uint64(r[i])<<42^uint64(r[i+1])<<21^uint64(r[i+2])))
	}
	return sortedSet(out)
}

// titleSimilarity is the Jaccard similarity of two titles' trigram sets.
func titleSimilarity(a, b []uint64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := intersect(a, b)
	return float64(n) / float64(len(a)+len(b)-n)
}

package dedupe

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedSet checks the bucket sort against a comparison sort on sets
// of every size it treats differently: small ones, uniform hashes, many
// repeats, and values that all share their top bits (one bucket).
func TestSortedSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 13))
	gens := map[string]func(n int) []uint64{
		"uniform": func(n int) []uint64 {
			xs := make([]uint64, n)
			for i := range xs {
				xs[i] = r.Uint64()
			}
			return xs
		},
		"repeats": func(n int) []uint64 {
			xs := make([]uint64, n)
			for i := range xs {
				xs[i] = mix64(uint64(r.IntN(max(n/8, 1))))
			}
			return xs
		},
		"one bucket": func(n int) []uint64 {
			xs := make([]uint64, n)
			for i := range xs {
				xs[i] = 0xabc0_0000_0000_0000 | r.Uint64()>>20
			}
			return xs
		},
		"all equal": func(n int) []uint64 { return slices.Repeat([]uint64{42}, n) },
		"extremes": func(n int) []uint64 {
			xs := make([]uint64, n)
			for i := range xs {
				xs[i] = []uint64{0, 1, ^uint64(0), ^uint64(0) - 1, 1 << 63}[r.IntN(5)]
			}
			return xs
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, bucketSortMin - 1, bucketSortMin, bucketSortMin + 1, 100, 500, 1000, 1023, 1024, 4096, 70_000} {
			xs := gen(n)
			orig := slices.Clone(xs)
			want := slices.Clone(xs)
			slices.Sort(want)
			want = slices.Compact(want)
			got := sortedSet(xs)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %d values: sortedSet differs from a sort (%d values against %d)", name, n, len(got), len(want))
			}
			if !slices.Equal(xs, orig) {
				t.Errorf("%s, %d values: sortedSet changed its input", name, n)
			}
		}
	}
}

// BenchmarkSortedSet sorts the shingles of a body of about 500 words.
func BenchmarkSortedSet(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 13))
	xs := make([]uint64, 500)
	for i := range xs {
		xs[i] = r.Uint64()
	}
	for b.Loop() {
		sortedSet(xs)
	}
}

package dedupe

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// setsWithJaccard returns two sets of about n elements with Jaccard
// similarity j.
func setsWithJaccard(r *rand.Rand, n int, j float64) ([]uint64, []uint64) {
	// |A∩B| = s, |A| = |B| = n: j = s / (2n - s)
	s := int(math.Round(2 * float64(n) * j / (1 + j)))
	var a, b []uint64
	for range s {
		x := r.Uint64()
		a, b = append(a, x), append(b, x)
	}
	for range n - s {
		a, b = append(a, r.Uint64()), append(b, r.Uint64())
	}
	return sortedSet(a), sortedSet(b)
}

// TestBandsFindPairsAsDocumented checks the LSH banding on pairs of sets
// with known Jaccard similarity: the share of pairs that meet in at least
// one band against the documented probability.
func TestBandsFindPairsAsDocumented(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	body := func(a, b []uint64) bool {
		sa, sb := make([]uint32, bodyHashes), make([]uint32, bodyHashes)
		minhashBody(sa, a)
		minhashBody(sb, b)
		return sharedBands(sa, sb, bodyRows) > 0
	}
	lede := func(a, b []uint64) bool {
		sa, sb := make([]uint32, ledeHashes), make([]uint32, ledeHashes)
		minhash(sa, a)
		minhash(sb, b)
		return sharedBands(sa, sb, bodyRows) > 0
	}
	title := func(a, b []uint64) bool {
		sa, sb := make([]uint32, titleHashes), make([]uint32, titleHashes)
		minhash(sa, a)
		minhash(sb, b)
		return sharedBands(sa, sb, titleRows) > 0
	}
	cases := []struct {
		name     string
		meet     func(a, b []uint64) bool
		size     int
		j        float64
		min, max float64 // share of pairs that meet
	}{
		{"body J=0.3", body, 300, 0.3, 0.90, 1},
		{"body J=0.5", body, 300, 0.5, 0.995, 1},
		{"body J=0.3, short", body, 30, 0.3, 0.85, 1},
		{"body J=0.05", body, 300, 0.05, 0, 0.15},
		{"body J=0", body, 300, 0, 0, 0.01},
		{"lede J=0.5", lede, 16, 0.5, 0.95, 1},
		{"lede J=0.1", lede, 16, 0.1, 0, 0.25},
		{"title J=0.95", title, 60, 0.95, 0.99, 1},
		{"title J=0.9", title, 60, 0.9, 0.95, 1},
		{"title J=0.3", title, 60, 0.3, 0, 0.01},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const pairs = 2000
			met := 0
			for range pairs {
				a, b := setsWithJaccard(r, tc.size, tc.j)
				if tc.meet(a, b) {
					met++
				}
			}
			share := float64(met) / pairs
			if share < tc.min || share > tc.max {
				t.Errorf("%d of %d pairs meet (%.4f), want between %.3f and %.3f", met, pairs, share, tc.min, tc.max)
			}
		})
	}
}

// TestMinhashEstimatesJaccard checks that the share of equal body values
// estimates the Jaccard similarity.
func TestMinhashEstimatesJaccard(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, j := range []float64{0.1, 0.3, 0.5, 0.8} {
		t.Run(fmt.Sprint(j), func(t *testing.T) {
			equal, total := 0, 0
			for range 300 {
				a, b := setsWithJaccard(r, 200, j)
				sa, sb := make([]uint32, bodyHashes), make([]uint32, bodyHashes)
				minhashBody(sa, a)
				minhashBody(sb, b)
				for i := range sa {
					if sa[i] == sb[i] {
						equal++
					}
					total++
				}
			}
			if est := float64(equal) / float64(total); math.Abs(est-j) > 0.02 {
				t.Errorf("estimated J %.3f, want %.2f ± 0.02", est, j)
			}
		})
	}
}

func TestSignatureRoundTrip(t *testing.T) {
	e := New(Options{})
	title, paras := "EU agrees sanctions on tankers accused of breaking oil price cap", []string{
		"European Union foreign ministers on Tuesday approved sanctions against 27 tankers accused of carrying Russian crude in breach of the Western price cap.",
		"The vessels will be barred from EU ports.",
	}
	for _, tc := range []struct{ name, title, body string }{
		{"full", title, text(paras...)},
		{"title only", title, ""},
		{"body only", "", text(paras...)},
		{"nothing", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.prepare("f", tc.title, tc.body)
			b := p.sig.encode()
			got, err := decodeSignature(b)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.body, p.sig.body) || !slices.Equal(got.lede, p.sig.lede) || !slices.Equal(got.title, p.sig.title) {
				t.Errorf("decode(encode(sig)) differs")
			}
			if !bytes.Equal(got.encode(), b) {
				t.Errorf("encoding is not stable")
			}
		})
	}
	for _, bad := range [][]byte{nil, {}, {9, 0}, {sigVersion, 4}, {sigVersion, flagBody, 1, 2, 3}, append([]byte{sigVersion, flagTitle}, make([]byte, 4*titleHashes+1)...)} {
		if _, err := decodeSignature(bad); !errors.Is(err, errSignature) {
			t.Errorf("decodeSignature(%v) = %v, want errSignature", bad, err)
		}
	}
}

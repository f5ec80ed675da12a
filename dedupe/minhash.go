package dedupe

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MinHash signatures and LSH banding. Three signatures per item:
//
//   - body: 64 values over the body's shingles (one-permutation hashing,
//     see minhashBody), 32 bands of 2 rows. Two
//     bodies with Jaccard similarity J share at least one band with
//     probability 1-(1-J²)³²: 0.95 at J=0.3, 0.9999 at J=0.5. A pair of
//     unrelated bodies (J near 0) almost never does.
//   - lede: 32 values over the shingles of the first 20 words, 16 bands of
//     2 rows, so a summary or a cut copy meets its full article although
//     their whole bodies are far apart (the lede of a summary of 12 or more
//     words has J ≥ 0.5 with the article's: candidate with p ≥ 0.99).
//   - title: 36 values over the title's character trigrams, 6 bands of 6
//     rows: near-identical titles meet with p = 0.989 at J = 0.9 and
//     p ≥ 0.9997 at J ≥ 0.95 (most are identical once normalised), while
//     unrelated titles rarely do. Common trigrams make the minima of
//     unrelated titles agree far more often than independence predicts:
//     with 5 rows a title-only item met 2.1 unrelated titles per 100,000
//     in the benchmark, with 6 rows 0.8, with 2 rows one in ten.
//
// Values are 32 bits: the chance that two different shingle minima collide
// (2⁻³²) is far below LSH's own error. The hash functions are fixed
// (multiply-shift functions and a SplitMix64 finaliser seeded from
// constants), so a stored signature stays valid across versions; a change
// to them needs a new signature version.
const (
	bodyHashes  = 64
	ledeHashes  = 32
	titleHashes = 36
	bodyRows    = 2
	titleRows   = 6

	sigVersion  = 1
	flagBody    = 1 << 0
	flagTitle   = 1 << 1
	sigHeader   = 2
	sigBodySize = 4 * (bodyHashes + ledeHashes)
)

// kinds of band, mixed into band keys. The title bands of items with and
// without a body are kept apart: an item with a body may only join a
// title-only story by its title, so it looks up only those.
const (
	kindBody = iota + 1
	kindLede
	kindTitle     // title of an item with a body
	kindTitleOnly // title of a title-only item
)

// hashParams are the multipliers and offsets of the MinHash functions.
var hashParams = func() (p [2][bodyHashes]uint64) {
	s := uint64(0x5eed_0f_d0_0d1e_2023)
	next := func() uint64 {
		s += 0x9e3779b97f4a7c15
		return mix64(s)
	}
	for i := range bodyHashes {
		p[0][i] = next() | 1
		p[1][i] = next()
	}
	return p
}()

// minhash fills out with the MinHash of set: out[i] is the least value of
// the i-th hash function over the set. Function i for the lede and title
// signatures is the same as for the body; they are different sets.
func minhash(out []uint32, set []uint64) {
	for i := range out {
		out[i] = ^uint32(0)
	}
	a, b := &hashParams[0], &hashParams[1]
	for _, x := range set {
		for i := range out {
			if v := uint32((x*a[i] + b[i]) >> 32); v < out[i] {
				out[i] = v
			}
		}
	}
}

// minhashBody fills out (bodyHashes values) with the body's MinHash by
// one-permutation hashing with optimal densification (Shrivastava, ICML
// 2017): each shingle is hashed once; the top bits pick one of 64 bins and
// the low 32 bits are its value; a bin keeps its least value. An empty bin
// (a short body) takes the value of the first filled bin that a hash of its
// number and an attempt counter points to, so that two bodies still agree
// in a bin with probability equal to their Jaccard similarity. It costs one
// hash per shingle instead of 64.
func minhashBody(out []uint32, set []uint64) {
	const bits = 6 // 64 bins
	var filled [bodyHashes]bool
	for i := range out {
		out[i] = ^uint32(0)
	}
	for _, x := range set {
		h := mix64(x ^ 0x6a09e667f3bcc908)
		bin, v := h>>(64-bits), uint32(h)
		if !filled[bin] || v < out[bin] {
			out[bin], filled[bin] = v, true
		}
	}
	if len(set) == 0 {
		return
	}
	dense := *(*[bodyHashes]uint32)(out)
	for i := range out {
		if filled[i] {
			continue
		}
		for attempt := uint64(1); ; attempt++ {
			j := mix64(uint64(i)<<32|attempt) >> (64 - bits)
			if filled[j] {
				out[i] = dense[j]
				break
			}
		}
	}
}

// signature is what the index keeps of an item, and what the store keeps
// for the index to be rebuilt at start.
type signature struct {
	body  []uint32 // bodyHashes values; nil for a title-only item
	lede  []uint32 // ledeHashes values; nil for a title-only item
	title []uint32 // titleHashes values; nil when the item has no title
}

// bodied reports whether the signature has a body part.
func (s *signature) bodied() bool { return s.body != nil }

// encode returns the signature in its stored form: a version byte, a
// flags byte, then the body, lede and title values present, little-endian.
func (s *signature) encode() []byte {
	n := sigHeader
	var flags byte
	if s.body != nil {
		flags |= flagBody
		n += sigBodySize
	}
	if s.title != nil {
		flags |= flagTitle
		n += 4 * titleHashes
	}
	out := make([]byte, sigHeader, n)
	out[0], out[1] = sigVersion, flags
	for _, part := range [][]uint32{s.body, s.lede, s.title} {
		for _, v := range part {
			out = binary.LittleEndian.AppendUint32(out, v)
		}
	}
	return out
}

// errSignature is returned for stored data that is not a signature of a
// known version.
var errSignature = errors.New("dedupe: not a signature")

// decodeSignature parses what encode wrote.
func decodeSignature(b []byte) (signature, error) {
	var s signature
	if len(b) < sigHeader || b[0] != sigVersion {
		return s, errSignature
	}
	flags := b[1]
	want := sigHeader
	if flags&flagBody != 0 {
		want += sigBodySize
	}
	if flags&flagTitle != 0 {
		want += 4 * titleHashes
	}
	if len(b) != want || flags&^(flagBody|flagTitle) != 0 {
		return s, fmt.Errorf("%w: %d bytes with flags %#x", errSignature, len(b), flags)
	}
	b = b[sigHeader:]
	read := func(n int) []uint32 {
		out := make([]uint32, n)
		for i := range out {
			out[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
		b = b[4*n:]
		return out
	}
	if flags&flagBody != 0 {
		s.body = read(bodyHashes)
		s.lede = read(ledeHashes)
	}
	if flags&flagTitle != 0 {
		s.title = read(titleHashes)
	}
	return s, nil
}

// bandKey is the 32-bit key of one band: its kind, its number and its
// rows' values. Zero is reserved for empty slots in the index.
func bandKey(kind, band int, rows []uint32) uint32 {
	h := uint64(kind)<<56 ^ uint64(band)<<48
	for _, v := range rows {
		h = mix64(h ^ uint64(v))
	}
	k := uint32(h ^ h>>32)
	if k == 0 {
		k = 1
	}
	return k
}

// appendBandKeys appends the band keys of one signature part.
func appendBandKeys(dst []uint32, kind, rows int, values []uint32) []uint32 {
	for b := 0; b+rows <= len(values); b += rows {
		dst = append(dst, bandKey(kind, b/rows, values[b:b+rows]))
	}
	return dst
}

// keys returns the band keys under which the item is indexed.
func (s *signature) keys(dst []uint32) []uint32 {
	dst = appendBandKeys(dst, kindBody, bodyRows, s.body)
	dst = appendBandKeys(dst, kindLede, bodyRows, s.lede)
	kind := kindTitle
	if !s.bodied() {
		kind = kindTitleOnly
	}
	return appendBandKeys(dst, kind, titleRows, s.title)
}

// probes returns the band keys to look up for an item, and how many of
// them (the first ones) are body and lede keys. An item with a body looks
// for bodies and for title-only items by title; a title-only item looks
// for any item by title.
func (s *signature) probes(dst []uint32) ([]uint32, int) {
	dst = appendBandKeys(dst, kindBody, bodyRows, s.body)
	dst = appendBandKeys(dst, kindLede, bodyRows, s.lede)
	n := len(dst)
	dst = appendBandKeys(dst, kindTitleOnly, titleRows, s.title)
	if !s.bodied() {
		dst = appendBandKeys(dst, kindTitle, titleRows, s.title)
	}
	return dst, n
}

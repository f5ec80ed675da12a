package dedupe

import (
	"slices"
	"time"
)

// The in-memory index. Items live in day buckets (by the UTC day they were
// first seen), so the window expires by dropping whole buckets. A bucket
// holds, per item, its row id and a flags byte, and one open-addressing
// table from band key to the item's slot, shared by all band kinds (the
// kind is mixed into the key). An item with body, lede and title bands
// takes up to 56 table entries of 8 bytes; tables of past days are
// compacted to a load of 0.6, so an item costs at most about 760 bytes, and
// about 450 on average on the benchmark's mix (BenchmarkMatch reports
// index-B/item). Texts stay in the store. Tables are probed linearly and
// every lookup reads until an empty entry (a key may list several items):
// at a load of 0.8 that is 13 entries on average, at 0.6 under 4.

const (
	day = 24 * time.Hour
	// tableMaxLoad is when the open bucket's table doubles; sealed buckets
	// are compacted to tableSealLoad.
	tableMaxLoad  = 0.70
	tableSealLoad = 0.60
	tableMinSize  = 64
	// maxPerKey bounds how many items of one day a band key lists. A band
	// shared by more items than that is a stock phrase of templated copy,
	// not evidence of a story; without the bound every query through it
	// would visit all those items, and the cost per new item would grow
	// with history. Later items still find the first maxPerKey holders, so
	// a story carried by more outlets still gathers them all.
	maxPerKey = 32
)

// item flags
const (
	flagTitleOnly = 1 << 0
	flagRetired   = 1 << 1 // replaced by a newer signature of the same item
)

type bucket struct {
	day   int64 // days since 1970-01-01, UTC
	ids   []int64
	flags []uint8
	// table holds, per entry, a band key in the high 32 bits (0 marks an
	// empty entry) and the item's slot in ids in the low 32: a lookup
	// reads one word per probe, so one cache line, where separate key and
	// slot arrays cost two cache misses per probe in tables of millions
	// of entries.
	table []uint64
	used  int
}

// index is a set of day buckets, oldest first.
type index struct {
	buckets []*bucket
	hits    []uint64 // scratch for query
	touched uint64   // keeps query's first loads from being optimised away
}

// dayOf returns the bucket number of a time.
func dayOf(t time.Time) int64 {
	return t.Unix() / int64(day/time.Second)
}

// add puts an item into its day's bucket.
func (ix *index) add(id int64, d int64, flags uint8, keys []uint32) {
	b := ix.bucket(d)
	slot := uint32(len(b.ids))
	b.ids = append(b.ids, id)
	b.flags = append(b.flags, flags)
	if float64(b.used+len(keys)) > tableMaxLoad*float64(len(b.table)) {
		b.resize(max(2*len(b.table), tableMinSize, int(float64(b.used+len(keys))/tableSealLoad)+1))
	}
	for _, k := range keys {
		b.putCapped(k, slot)
	}
}

// bucket returns the bucket of day d, creating it in order. Creating a
// bucket newer than all others seals (compacts) the previous newest.
func (ix *index) bucket(d int64) *bucket {
	i, found := slices.BinarySearchFunc(ix.buckets, d, func(b *bucket, d int64) int { return int(b.day - d) })
	if found {
		return ix.buckets[i]
	}
	b := &bucket{day: d}
	if i == len(ix.buckets) && i > 0 {
		ix.buckets[i-1].seal()
	}
	ix.buckets = slices.Insert(ix.buckets, i, b)
	return b
}

// expire drops the buckets of days before minDay.
func (ix *index) expire(minDay int64) {
	n := 0
	for n < len(ix.buckets) && ix.buckets[n].day < minDay {
		ix.buckets[n] = nil
		n++
	}
	if n > 0 {
		ix.buckets = slices.Delete(ix.buckets, 0, n)
	}
}

// hit is an indexed item that shares bands with a query.
type hit struct {
	id        int64
	flags     uint8
	bodyHits  int // body and lede bands shared
	titleHits int
}

// query returns the items of buckets of day minDay or later that share at
// least one band key with keys; keys[:nBody] are body and lede keys, the
// rest title keys. The result is in no particular order.
func (ix *index) query(keys []uint32, nBody int, minDay int64) []hit {
	hits := ix.hits[:0]
	for bi, b := range ix.buckets {
		if b.day < minDay || b.used == 0 {
			continue
		}
		// Read every key's home entry first: those loads do not depend
		// on each other, so the processor overlaps their cache misses,
		// where the probe loop below would wait for one at a time (in a
		// window of a million items the tables are far larger than the
		// caches).
		touched := uint64(0)
		for _, k := range keys {
			touched |= b.table[b.pos(k)]
		}
		ix.touched = touched
		for ki, k := range keys {
			kind := uint64(0)
			if ki >= nBody {
				kind = 1
			}
			for i := b.pos(k); b.table[i] != 0; {
				if e := b.table[i]; uint32(e>>32) == k {
					hits = append(hits, uint64(bi)<<40|uint64(uint32(e))<<8|kind)
				}
				if i++; i == len(b.table) {
					i = 0
				}
			}
		}
	}
	ix.hits = hits
	if len(hits) == 0 {
		return nil
	}
	slices.Sort(hits)
	var out []hit
	for i := 0; i < len(hits); {
		at := hits[i] >> 8
		b := ix.buckets[at>>32]
		slot := uint32(at)
		h := hit{id: b.ids[slot], flags: b.flags[slot]}
		for ; i < len(hits) && hits[i]>>8 == at; i++ {
			if hits[i]&1 == 1 {
				h.titleHits++
			} else {
				h.bodyHits++
			}
		}
		if h.flags&flagRetired == 0 {
			out = append(out, h)
		}
	}
	return out
}

// find returns the bucket of day d, or nil.
func (ix *index) find(d int64) *bucket {
	i, found := slices.BinarySearchFunc(ix.buckets, d, func(b *bucket, d int64) int { return int(b.day - d) })
	if !found {
		return nil
	}
	return ix.buckets[i]
}

// len returns the number of indexed items, retired entries left out.
func (ix *index) len() int {
	n := 0
	for _, b := range ix.buckets {
		for _, f := range b.flags {
			if f&flagRetired == 0 {
				n++
			}
		}
	}
	return n
}

// bytes returns the memory the index holds, in bytes: the capacity of its
// slices (slice and bucket headers are a few hundred bytes in all).
func (ix *index) bytes() int {
	n := 0
	for _, b := range ix.buckets {
		n += 8*cap(b.ids) + cap(b.flags) + 8*cap(b.table)
	}
	return n
}

// pos maps a key to its home slot (keys are already well mixed).
func (b *bucket) pos(k uint32) int {
	return int(uint64(k) * uint64(len(b.table)) >> 32)
}

func (b *bucket) put(k, slot uint32) {
	i := b.pos(k)
	for b.table[i] != 0 {
		if i++; i == len(b.table) {
			i = 0
		}
	}
	b.table[i] = uint64(k)<<32 | uint64(slot)
	b.used++
}

// putCapped adds k unless the table already lists maxPerKey items under it.
func (b *bucket) putCapped(k, slot uint32) {
	n := 0
	i := b.pos(k)
	for b.table[i] != 0 {
		if uint32(b.table[i]>>32) == k {
			if n++; n == maxPerKey {
				return
			}
		}
		if i++; i == len(b.table) {
			i = 0
		}
	}
	b.table[i] = uint64(k)<<32 | uint64(slot)
	b.used++
}

// resize rehashes the table to n slots.
func (b *bucket) resize(n int) {
	old := b.table
	b.table, b.used = make([]uint64, n), 0
	for _, e := range old {
		if e != 0 {
			b.put(uint32(e>>32), uint32(e))
		}
	}
}

// seal compacts a bucket that will get no more items.
func (b *bucket) seal() {
	if n := max(int(float64(b.used)/tableSealLoad)+1, tableMinSize); n < len(b.table) {
		b.resize(n)
	}
	b.ids = slices.Clip(b.ids)
	b.flags = slices.Clip(b.flags)
}

package wirefeed

// ClaimState is a store's answer to an instance that asks to fetch a feed
// in a fetch cycle, when several instances share one database (wirefeed
// serve on PostgreSQL): each feed is fetched by one of them per cycle.
type ClaimState uint8

// The answers to a claim.
const (
	// ClaimGranted: the caller holds the feed's lease. It fetches the
	// feed and records the outcome, which ends the lease; if it dies
	// first, the lease expires and another instance takes the feed over.
	ClaimGranted ClaimState = iota + 1
	// ClaimHeld: another instance holds a live lease on the feed: it is
	// fetching it now. Ask again later: its lease may expire.
	ClaimHeld
	// ClaimDone: another instance fetched the feed in this cycle.
	ClaimDone
)

// String returns the state's name, for logs.
func (c ClaimState) String() string {
	switch c {
	case ClaimGranted:
		return "granted"
	case ClaimHeld:
		return "held"
	case ClaimDone:
		return "done"
	}
	return "unknown"
}

package fetcher

import "github.com/wirefeed/wirefeed"

// allItems returns every entry of a parsed document, skipped ones
// included, in document order.
func allItems(doc *Document) []wirefeed.Item { return doc.all }

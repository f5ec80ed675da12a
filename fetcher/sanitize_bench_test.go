package fetcher

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed/internal/fixtures"
)

// BenchmarkSanitizeWithText reads the bodies of 20 feeds of the generated
// corpus (1,000 items) as normalize does: sanitised, links resolved, text
// taken. One op is every body; it reports the CPU per body.
func BenchmarkSanitizeWithText(b *testing.B) {
	base, _ := url.Parse("https://news.example/world/")
	var bodies []string
	for _, f := range fixtures.GenerateCorpus(fixtures.CorpusOptions{Feeds: 20}).Feeds {
		feed, _, err := parseFeed(f.Body)
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range feed.Items {
			body := it.Content
			if strings.TrimSpace(body) == "" {
				body = it.Description
			}
			bodies = append(bodies, body)
		}
	}
	cpu0 := cpuTime()
	for b.Loop() {
		for _, body := range bodies {
			sanitizeWithText(body, base)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/1e3/float64(b.N*len(bodies)), "cpu-us/body")
}

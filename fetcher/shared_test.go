package fetcher

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedCorpus returns the directory of ../shared/corpus (or
// $WIREFEED_SHARED/corpus), skipping the test when it is absent, as it is
// on a user's fresh clone. The corpus is read in place, never copied.
func sharedCorpus(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("WIREFEED_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	corpus := filepath.Join(dir, "corpus")
	if st, err := os.Stat(corpus); err != nil || !st.IsDir() {
		t.Skipf("corpus not found at %s (set WIREFEED_SHARED to the shared directory to run this test)", corpus)
	}
	return corpus
}

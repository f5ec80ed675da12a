package hostile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestManifestMatchesFolder keeps payloads/ and the manifest in step: a
// file nobody tests, or a manifest entry without its file, fails.
func TestManifestMatchesFolder(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("payloads", "*"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, p := range manifest {
		listed[p.Name] = true
	}
	for _, n := range names {
		if base := filepath.Base(n); base != "README.md" && !listed[base] {
			t.Errorf("payloads/%s is not in the manifest", base)
		}
	}
	ps, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if len(p.Body()) == 0 {
			t.Errorf("%s is empty", p.Name)
		}
		if fi, err := os.Stat(filepath.Join("payloads", p.Name)); err != nil || fi.Size() > 64<<10 {
			t.Errorf("%s: %v; checked-in payloads stay small (generate big ones)", p.Name, err)
		}
	}
}

// TestGeneratedPayloadsFitTheBodyCap: the attacks must get past the
// default 8 MiB body cap, so only the structural bounds can stop them.
func TestGeneratedPayloadsFitTheBodyCap(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Generated() {
		if seen[p.Name] {
			t.Errorf("duplicate payload name %s", p.Name)
		}
		seen[p.Name] = true
		body := p.Body()
		if len(body) > 8<<20 {
			t.Errorf("%s: %d bytes, over the default 8 MiB body cap", p.Name, len(body))
		}
		if p.Want == Rejected && p.Reason == "" {
			t.Errorf("%s: a rejected payload needs the reason its error gives", p.Name)
		}
		if p.Gzip && testing.Verbose() {
			t.Logf("%-24s %9d bytes, %7d gzipped: %s", p.Name, len(body), len(Gzipped(body)), p.About)
		} else {
			t.Logf("%-24s %9d bytes: %s", p.Name, len(body), p.About)
		}
	}
}

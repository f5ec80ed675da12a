package perf

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/store"
)

// upgradeFromEnv names a database built by an older wirefeed (for example
// a history cached by an earlier schema, history-*.db in the cache
// directory) for BenchmarkUpgrade.
const upgradeFromEnv = "WIREFEED_UPGRADE_FROM"

// BenchmarkUpgrade opens a copy of the database that WIREFEED_UPGRADE_FROM
// names with this wirefeed, as the daemon's start does: the migrations it
// lacks run, and a rebuild of the search index starts in the background.
// It reports the wall and CPU seconds of the open (the copy is not timed),
// then the wall seconds of the background rebuild until it ends (0 when
// none ran), the CPU it took per stored item, the longest chunk it held
// the writer for (rebuild-chunk-max-ms), and the file's size before and
// after.
//
//	WIREFEED_UPGRADE_FROM=/tmp/wirefeed-perf/history-....db go test ./internal/perf -run '^$' -bench Upgrade -benchtime 1x -cpu 1
func BenchmarkUpgrade(b *testing.B) {
	src := os.Getenv(upgradeFromEnv)
	if src == "" {
		b.Skipf("set %s to a database of an earlier schema to time its upgrade", upgradeFromEnv)
	}
	ctx := context.Background()
	var wall, cpu, rwall, rcpu, chunkMax, probeMax time.Duration
	var probeFailed int
	var before, after, items int64
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "upgrade.db")
		if err := CopyFile(path, src); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		before += fi.Size()
		runtime.GC()
		b.StartTimer()
		t0, c0 := time.Now(), CPUTime()
		st, err := store.Open(ctx, path, store.Options{Matcher: dedupe.New(dedupe.Options{Logger: quiet}), Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		cpu += CPUTime() - c0
		t1, c1 := time.Now(), CPUTime()
		probes, stop := make(chan probeStats), make(chan struct{})
		go func() { probes <- probeWhile(ctx, st, b, stop) }()
		if err := st.WaitSearchRebuild(ctx); err != nil {
			b.Fatal(err)
		}
		rwall += time.Since(t1)
		rcpu += CPUTime() - c1
		close(stop)
		p := <-probes
		probeMax, probeFailed = max(probeMax, p.longest), probeFailed+p.failed
		n, longest := st.SearchRebuildStats()
		items += n
		chunkMax = max(chunkMax, longest)
		b.StopTimer()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		if fi, err = os.Stat(path); err != nil {
			b.Fatal(err)
		}
		after += fi.Size()
		os.Remove(path)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "open-s")
	b.ReportMetric(cpu.Seconds()/n, "open-cpu-s")
	b.ReportMetric(rwall.Seconds()/n, "rebuild-s")
	if items > 0 {
		b.ReportMetric(float64(rcpu.Microseconds())/float64(items), "rebuild-cpu-us/item")
		b.ReportMetric(float64(items)/n, "rebuilt-items")
		b.ReportMetric(float64(chunkMax.Microseconds())/1000, "rebuild-chunk-max-ms")
		b.ReportMetric(float64(probeMax.Microseconds())/1000, "probe-max-ms")
		b.ReportMetric(float64(probeFailed), "probe-failed")
	}
	b.ReportMetric(float64(before)/n, "before-B")
	b.ReportMetric(float64(after)/n, "after-B")
}

// probeStats is what the readiness probes during a rebuild saw: the
// longest one, and how many failed.
type probeStats struct {
	longest time.Duration
	failed  int
}

// probeWhile runs the store's write probe (what /readyz does; with 2 s,
// less than its 3) every 1.1 s until stop is closed.
func probeWhile(ctx context.Context, st *store.Store, b *testing.B, stop <-chan struct{}) probeStats {
	var p probeStats
	for {
		select {
		case <-stop:
			return p
		case <-time.After(1100 * time.Millisecond):
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		t0 := time.Now()
		if err := st.WriteProbe(pctx); err != nil {
			p.failed++
			b.Logf("write probe during the rebuild: %v", err)
		}
		cancel()
		p.longest = max(p.longest, time.Since(t0))
	}
}

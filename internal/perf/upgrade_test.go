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
// lacks run. It reports the wall and CPU seconds of the open (the copy is
// not timed) and the file's size before and after.
//
//	WIREFEED_UPGRADE_FROM=/tmp/wirefeed-perf/history-....db go test ./internal/perf -run '^$' -bench Upgrade -benchtime 1x -cpu 1
func BenchmarkUpgrade(b *testing.B) {
	src := os.Getenv(upgradeFromEnv)
	if src == "" {
		b.Skipf("set %s to a database of an earlier schema to time its upgrade", upgradeFromEnv)
	}
	ctx := context.Background()
	var wall, cpu time.Duration
	var before, after int64
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
	b.ReportMetric(float64(before)/n, "before-B")
	b.ReportMetric(float64(after)/n, "after-B")
}

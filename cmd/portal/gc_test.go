package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// restoreGC puts the test binary's collector settings back afterwards.
func restoreGC(t *testing.T) {
	percent := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func TestTuneGCDefaults(t *testing.T) {
	restoreGC(t)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)

	percent, limit := tuneGC()
	if percent != gcPercent || debug.SetGCPercent(percent) != gcPercent {
		t.Errorf("GOGC %d in force, want %d", percent, gcPercent)
	}
	want := int64(64<<20 + runtime.NumCPU()*4*19<<20)
	if limit != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("memory limit %d MiB, want %d MiB (64 + 4 × 19 MiB per CPU)", limit>>20, want>>20)
	}
}

// What the operator sets with Go's own variables stands (the runtime read
// them at start; the test sets both the variable and the value).
func TestTuneGCKeepsTheOperatorsChoice(t *testing.T) {
	restoreGC(t)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)

	percent, limit := tuneGC()
	if percent != 150 || debug.SetGCPercent(percent) != 150 {
		t.Errorf("GOGC %d in force, want the operator's 150", percent)
	}
	if limit != 1<<30 || debug.SetMemoryLimit(-1) != 1<<30 {
		t.Errorf("memory limit %d MiB, want the operator's 1024", limit>>20)
	}

	t.Setenv("GOGC", "off")
	debug.SetGCPercent(-1)
	if percent, _ := tuneGC(); percent != -1 || debug.SetGCPercent(-1) != -1 {
		t.Errorf("GOGC=off became %d", percent)
	}
}

// Package testlog is what a test reads while a server it started writes:
// a buffer that the server's goroutines and the test share, for the
// server's log or for what a command prints while it runs.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that is safe to write and read at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
